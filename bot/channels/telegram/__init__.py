"""Telegram, through aiogram 3: one channel among others, a thin layer over the services."""

CHANNEL = "telegram"  # its name in contacts, the outbox and inbound_messages
