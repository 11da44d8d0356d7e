glob
