setenv GK_A b
!echo "[$GK_A]"
unsetenv GK_A
!echo "[$GK_A]"
