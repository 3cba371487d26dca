{{ mustSlice "abc" 1 }}
