{{ chunk 0 (list 1 2) }}
