{{ $b := "gICA/w==" | b64dec }}{{ len $b }} {{ $b | b64enc }} {{ $b | b32enc }} {{ $b | sha256sum }} {{ $b | sha1sum }} {{ $b | adler32sum }} {{ printf "%T %x %X %q %#v" $b $b $b $b $b }} {{ printf "%s|%v" $b $b | b64enc }}
{{ eq $b ("gICA/w==" | b64dec) }} {{ ne $b ("gICA/g==" | b64dec) }} {{ lt $b ("gICB" | b64dec) }} {{ lt "a" $b }} {{ eq $b "x" }} {{ kindOf $b }} {{ typeOf $b }} {{ empty $b }} {{ $b | toJson }} {{ list $b "x" | toJson }} {{ $b | toRawJson }}
{{ dict "k" $b | toYaml }}
{{ (list $b) | first | b64enc }} {{ (dict "a" $b).a | b64enc }} {{ default "z" $b | b64enc }} {{ $b | upper | len }} {{ $b | quote }} {{ $b | quote | len }} {{ deepEqual $b ("gICA/w==" | b64dec) }} {{ if $b }}yes{{ end }}
{{ "w6k=" | b64dec }} {{ "4oKs" | b64dec | len }} {{ "YWJj" | b64dec | printf "%T" }} {{ "6A==" | b64dec | len }} {{ "6A==" | b64dec | b64enc }} {{ "6A==" | b64dec | b32enc | b32dec | b64enc }}
{{ print $b "x" | len }} {{ print $b "x" | b64enc }} {{ println $b | b64enc }} {{ printf "%s-%s" $b $b | b64enc }}
