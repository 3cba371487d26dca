{{ mustFirst (dict) }}
