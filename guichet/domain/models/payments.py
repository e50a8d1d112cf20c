"""Payments models (filled by the payments issue)."""

from __future__ import annotations
