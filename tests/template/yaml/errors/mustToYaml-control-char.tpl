x: {{ mustToYaml (printf "a%cb" 127) }}
