{{ ternary "a" "b" .Values.missing }}
