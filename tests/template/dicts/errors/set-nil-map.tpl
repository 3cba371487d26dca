{{ set nil "a" 1 }}
