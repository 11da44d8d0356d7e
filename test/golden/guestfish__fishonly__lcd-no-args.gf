echo before
lcd
echo after
