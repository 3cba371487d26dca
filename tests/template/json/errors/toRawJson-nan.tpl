x: {{ toRawJson (float64 "Inf") }}
