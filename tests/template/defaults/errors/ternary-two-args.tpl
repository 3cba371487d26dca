{{ ternary "a" "b" }}
