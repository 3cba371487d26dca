{{ seq .Values.f }}
