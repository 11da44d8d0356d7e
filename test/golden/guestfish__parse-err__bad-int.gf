head-n abc /x
