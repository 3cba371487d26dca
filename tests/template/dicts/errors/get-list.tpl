{{ get (list) "a" }}
