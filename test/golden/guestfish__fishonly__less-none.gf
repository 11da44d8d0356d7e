less
