x: {{ toToml nil }}
