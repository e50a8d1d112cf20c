"""Guichet: an open customer self-care billing API."""

__version__ = "0.1.0"
