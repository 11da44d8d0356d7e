sparse x
