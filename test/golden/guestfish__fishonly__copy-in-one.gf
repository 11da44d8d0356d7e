copy-in /x
