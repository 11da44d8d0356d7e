-lcd
echo after
