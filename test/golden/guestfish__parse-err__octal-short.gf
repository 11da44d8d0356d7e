echo "\0"
