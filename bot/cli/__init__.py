"""The `surveybot` command: one module per command group (the entry point is `main.main`)."""
