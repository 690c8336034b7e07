"""Zalo, through the Official Account Open API v3 and OAuth v4: a thin typed client of our
own (Zalo has no well-kept Python SDK), its webhook, and the channel's capabilities."""

CHANNEL = "zalo"  # its name in contacts, the outbox and inbound_messages
