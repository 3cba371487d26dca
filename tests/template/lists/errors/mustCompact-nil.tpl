{{ mustCompact nil }}
