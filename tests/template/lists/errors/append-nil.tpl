{{ append nil 1 }}
