{{ chunk -2 (list 1 2 3 4 5) }}
