is-file /x nosuchopt:1
