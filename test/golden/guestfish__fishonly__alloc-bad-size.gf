alloc /tmp/gk-never.img 1Mx
