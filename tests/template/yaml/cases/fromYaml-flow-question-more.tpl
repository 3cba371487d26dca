{{ toJson (fromYaml "a: {b?c: d}") }}
{{ toJson (fromYaml "a: [k: v?w]") }}
{{ toJson (fromYaml "x: 1\ny:\n  - [a,\n    b ?]") }}
{{ toJson (fromYaml "a: b?c\nd: [\"e?\", 'f?', ?g]") }}
{{ toJson (fromYaml "a: [b, c]\nd: {e: [f?g]}") }}
{{ toJson (fromYaml "a: [b\n  c?d]") }}
