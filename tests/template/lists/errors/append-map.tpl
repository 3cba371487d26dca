{{ append (dict) 1 }}
