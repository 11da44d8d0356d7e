time
