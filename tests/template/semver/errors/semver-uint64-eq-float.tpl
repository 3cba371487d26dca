{{ eq (semver "1.2.3").Major 1.0 }}
