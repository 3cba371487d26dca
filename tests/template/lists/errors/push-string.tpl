{{ push "abc" 1 }}
