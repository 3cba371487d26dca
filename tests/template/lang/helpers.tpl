{{- define "lang.hello" -}}
Hello {{ . }}!
{{- end -}}
{{- define "lang.dot" -}}[{{ . }}]{{- end -}}
{{- define "lang.root" -}}{{ $.Values.str }}{{- end -}}
{{- define "lang.noarg" -}}noarg:{{ . }}{{- end -}}
{{- define "lang.recurse" -}}{{ if gt . 0 }}{{ . }} {{ template "lang.recurse" (sub . 1) }}{{ end }}{{- end -}}
{{- define "lang.vars" -}}{{ $x := "inner" }}{{ $x }}{{- end -}}
{{ define "lang.spaces" }}  spaced  {{ end }}
