"""Use cases: domain + storage, one transaction each. No aiogram, no HTTP."""
