echo "\777"
