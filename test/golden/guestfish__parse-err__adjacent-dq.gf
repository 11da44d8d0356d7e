echo before
echo "a"b
echo after
