{{ $v := semver "1.2.3" }}{{ printf "%T %v %d %#v %x" $v.Major $v.Minor $v.Patch $v.Major $v.Patch }}
{{ eq $v.Major 1 }} {{ eq 1 $v.Major }} {{ lt $v.Minor 3 }} {{ lt 1 $v.Minor }} {{ lt -1 $v.Minor }} {{ lt $v.Minor -1 }} {{ gt $v.Patch 2 }} {{ le $v.Major 1 }} {{ ne $v.Major 2 }} {{ eq $v.Major -1 }}
{{ eq $v.Major $v.Major }} {{ lt $v.Major $v.Minor }} {{ ge $v.Major $v.Patch }}
{{ add $v.Major 1 }} {{ add1 $v.Minor | printf "%T" }} {{ int $v.Patch | printf "%T %v" }} {{ float64 $v.Major }} {{ toString $v.Major }} {{ $v.Major | toJson }} {{ list $v.Major $v.Minor | toJson }}
{{ dict "a" $v.Major | toYaml }}
{{ kindOf $v.Major }} {{ typeOf $v.Minor }} {{ empty (semver "0.1.0").Major }} {{ default 5 (semver "0.1.0").Major }} {{ if $v.Major }}yes{{ end }} {{ not (semver "0.1.0").Major }}
{{ range $v.Patch }}{{ . }}{{ printf "%T" . }},{{ end }}
{{ index (list "a" "b" "c") $v.Minor }} {{ max $v.Major 7 }} {{ mul $v.Minor $v.Patch }} {{ deepEqual $v.Major 1 }} {{ deepEqual $v.Major (semver "1.0.0").Major }}
{{ dict "a" $v.Major | toToml }}
{{ printf "%5d|%-3d|%03d|%c|%q|%U|%o|%b" $v.Major $v.Minor $v.Patch $v.Major $v.Major $v.Major $v.Patch $v.Patch }}
{{ printf "%*d|%.*d" $v.Patch 7 $v.Minor 9 }}
{{ slice (list 1 2 3 4) $v.Major $v.Patch }} {{ print $v.Major $v.Minor }} {{ println $v.Major }}{{ $v.Major | quote }} {{ $v.Major | squote }} {{ list $v.Major | join "," }}
{{ ternary "a" "b" (eq $v.Major 1) }} {{ $v.Major | toPrettyJson }} {{ $v.Major | toRawJson }} {{ len (until (int $v.Patch)) }}
