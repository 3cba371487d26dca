{{ uniq "x" }}
