x: {{ mustToToml (list (dict "a" 1)) }}
