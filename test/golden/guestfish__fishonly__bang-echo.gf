!echo hi there
echo after
