echo before
!false
echo after
