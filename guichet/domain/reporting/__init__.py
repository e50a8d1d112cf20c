"""Reporting: spending totals and the export jobs of unattended reporting."""
