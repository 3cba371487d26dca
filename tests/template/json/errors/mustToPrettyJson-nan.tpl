x: {{ mustToPrettyJson (list (float64 "-Inf")) }}
