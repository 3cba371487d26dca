x: {{ mustToToml (dict "a" (list 1 nil)) }}
