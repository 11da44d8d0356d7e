echo "x\x4"
