{{ slice "abc" 1 }}
