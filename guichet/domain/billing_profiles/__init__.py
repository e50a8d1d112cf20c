"""Billing profiles: address, billing contacts by purpose, saved payment methods and auto-pay."""
