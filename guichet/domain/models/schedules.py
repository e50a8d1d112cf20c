"""Schedules models (filled by the schedules issue)."""

from __future__ import annotations
