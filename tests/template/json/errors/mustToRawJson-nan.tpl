x: {{ mustToRawJson (dict "a" (float64 "NaN")) }}
