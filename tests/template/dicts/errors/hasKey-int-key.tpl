{{ hasKey (dict) 1 }}
