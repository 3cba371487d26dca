line
  {{ .Values.nested.x.y.z }}