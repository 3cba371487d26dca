{{ slice nil }}
