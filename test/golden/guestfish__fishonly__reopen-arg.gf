reopen x
