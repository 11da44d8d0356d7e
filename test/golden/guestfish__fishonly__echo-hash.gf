echo a # b
  # comment
echo "#" x
