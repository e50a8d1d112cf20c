"""Outgoing webhooks: events, endpoints, signatures, address checks and the delivery rules."""
