"""Facebook Messenger, through the Messenger Platform's Send API and webhooks: a thin typed
Graph client of our own (Meta keeps no Python SDK for it), its webhook, and the channel's
capabilities."""

CHANNEL = "messenger"  # its name in contacts, the outbox and inbound_messages
