x: {{ mustToJson (float64 "NaN") }}
