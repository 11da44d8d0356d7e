alloc
