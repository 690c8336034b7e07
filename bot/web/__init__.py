"""FastAPI: health, the Telegram webhook, the ingest API and the pages."""
