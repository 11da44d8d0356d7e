vi
