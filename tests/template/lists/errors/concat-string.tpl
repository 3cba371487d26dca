{{ concat (list 1) "x" }}
