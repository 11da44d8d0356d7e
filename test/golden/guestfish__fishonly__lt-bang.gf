<!echo echo from-host; echo echo second
echo after
