{{ mustInitial "x" }}
