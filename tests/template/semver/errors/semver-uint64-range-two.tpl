{{ range $i, $x := (semver "1.2.3").Minor }}{{ end }}
