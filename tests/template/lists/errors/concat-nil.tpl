{{ concat (list 1) nil }}
