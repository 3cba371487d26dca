{{ pick (dict) 1 }}
