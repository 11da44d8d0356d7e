emacs a b
