{{ mustPrepend .Values.one 2 }}
