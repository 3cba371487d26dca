{{ round 1.5 .Values.i }}
