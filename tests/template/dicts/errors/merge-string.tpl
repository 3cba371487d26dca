{{ merge "x" (dict) }}
