{{ mustRest "x" }}
