echo before
cat /a /b
echo after
