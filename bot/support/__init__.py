"""Closing the loop: escalation rules, cases, case cards, the relay both ways, SLA watch."""
