{{ chunk 2 "abc" }}
