{{ toJson (fromYaml "a: [b::, c]") }}
{{ toJson (fromYaml "a: [x: y:, w]") }}
{{ toJson (fromYaml "a: {x: y:}") }}
{{ toJson (fromYaml "a: [it's:, c]") }}
{{ toJson (fromYaml "a: [b\n  c:, d]") }}
{{ toJson (fromYaml "a: [b:?]") }}
{{ toJson (fromYaml "a: [b:[c]]") }}
{{ toJson (fromYaml "a: [1:, true:, ~:]") }}
{{ toJson (fromYaml "a: [p:, q:]\nb: [r:}") }}
