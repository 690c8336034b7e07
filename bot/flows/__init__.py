"""Flow files: safe YAML, the schema, conditions, checks, the catalog and the version registry."""
