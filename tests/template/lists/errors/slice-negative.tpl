{{ slice (list 1 2 3) -1 }}
