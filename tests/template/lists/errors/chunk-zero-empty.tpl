{{ chunk 0 (list) }}
