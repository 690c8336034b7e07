"""Adapters between a messenger (or the terminal, or the web) and the services."""
