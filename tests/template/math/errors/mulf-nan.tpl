{{ mulf 1 "NaN" }}
