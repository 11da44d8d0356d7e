echo before
nosuchcmd a b
echo after
