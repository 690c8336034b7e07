"""Messages out: texts and rich text, the presenter, the channel interface, the paced dispatcher."""
