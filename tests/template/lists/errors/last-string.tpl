{{ last "x" }}
