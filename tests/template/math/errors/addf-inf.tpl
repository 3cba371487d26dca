{{ addf "inf" }}
