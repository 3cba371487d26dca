{{ merge (dict) "x" }}
