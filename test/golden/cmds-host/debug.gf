run
debug help ""
echo PRINT
debug print "a b"
echo SH
debug sh "echo hi"
echo LS
debug ls /tmp
-debug nosuch ""
