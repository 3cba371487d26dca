{{ mustHas "a" "abc" }}
