{{ divf 1 0 }}
