{{ mustMerge (dict "a" (semver "1.0.0")) (dict "a" (dict "x" 1)) }}
