{{ slice (list 1 2 3) 1 5 }}
