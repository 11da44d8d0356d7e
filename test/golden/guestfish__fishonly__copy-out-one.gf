copy-out /x
