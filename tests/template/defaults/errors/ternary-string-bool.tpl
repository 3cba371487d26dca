{{ ternary "a" "b" "true" }}
