{{ without "x" "x" }}
