"""The web chat: the survey at /s/<token> for customers without a messenger, and its QR code."""
