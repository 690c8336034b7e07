"""Telegram, through aiogram 3: one channel among others, a thin layer over the services."""
