spec:
  containers:
    - name: app
      env:{{ toYaml .Values.app.env | nindent 8 }}
      resources:{{ toYaml .Values.app.resources | nindent 8 }}