{{ mustLast nil }}
