"""Instalment plans (échéanciers): pure rules (rules.py), services owning one transaction each
(services.py), the debit collection job (collect.py), the feed import (feed.py) and demo data (demo.py)."""
