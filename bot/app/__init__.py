"""The composition root: every part built from Settings, served, and its jobs scheduled."""
