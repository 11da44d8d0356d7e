lcd /nonexistent-dir
echo after
