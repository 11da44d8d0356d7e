setenv
