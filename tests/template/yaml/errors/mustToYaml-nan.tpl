x: {{ mustToYaml (list (float64 "NaN")) }}
