{{ chunk -1 (list 1) }}
