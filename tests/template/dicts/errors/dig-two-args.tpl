{{ dig "a" (dict) }}
