{{ dig "a" "def" .Values }}
