{{ dig "a" "b" "def" (dict "a" nil) }}
