just text
  with lines
