x: {{ mustFromJson "" }}
