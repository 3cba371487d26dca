{{ prepend 1 2 }}
