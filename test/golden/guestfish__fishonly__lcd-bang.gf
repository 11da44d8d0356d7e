lcd /usr
!pwd
