{{ initial "x" }}
