"""Plain-Python core: flows, the survey engine, texts and timing rules (no I/O frameworks)."""
