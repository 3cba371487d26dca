{{ rest true }}
