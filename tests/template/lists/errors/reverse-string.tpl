{{ reverse "x" }}
