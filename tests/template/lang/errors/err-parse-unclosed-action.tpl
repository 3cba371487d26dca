line1
{{ .Values.str 