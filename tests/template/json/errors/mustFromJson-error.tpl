x: {{ mustFromJson "{x" }}
