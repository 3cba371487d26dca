{{ mustUniq "x" }}
