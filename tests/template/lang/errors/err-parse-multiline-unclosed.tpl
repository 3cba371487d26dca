a
{{ if
 true }}
b