echo "bad\q"
