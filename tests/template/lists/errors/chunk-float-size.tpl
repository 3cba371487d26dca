{{ chunk 1.5 (list 1) }}
