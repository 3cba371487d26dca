{{ default }}
