is-file /x followsymlinks:maybe
