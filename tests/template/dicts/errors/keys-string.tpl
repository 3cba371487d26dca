{{ keys "x" }}
