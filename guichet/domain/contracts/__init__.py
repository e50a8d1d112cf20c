"""Contracts: their lines, recurring totals, the billing schedule computed from them, files."""
