"""The terminal: preview a flow as a customer would take it."""
