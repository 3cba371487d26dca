{{ values "x" }}
