ok
  {{ $x := 1 }} {{ index .Values.list 9 }}