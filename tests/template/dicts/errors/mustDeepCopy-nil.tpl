{{ mustDeepCopy nil }}
