{{ dig 1 "def" (dict) }}
