{{ dig "a" "def" nil }}
