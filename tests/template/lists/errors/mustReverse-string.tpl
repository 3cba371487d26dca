{{ mustReverse "x" }}
