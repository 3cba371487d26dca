{{ dig "a" "b" "def" (dict "a" "str") }}
