echo 'a'b
