{{ dig "a" "def" "str" }}
