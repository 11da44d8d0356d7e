unsetenv A B
