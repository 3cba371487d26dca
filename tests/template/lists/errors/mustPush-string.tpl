{{ mustPush "abc" 1 }}
