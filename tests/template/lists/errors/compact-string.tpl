{{ compact "abc" }}
