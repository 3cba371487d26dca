{{ chunk -5 (list) }}
