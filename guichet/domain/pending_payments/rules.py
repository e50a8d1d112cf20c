"""Pending-payment vocabulary: kinds, statuses, and which kinds a payment may settle today."""

from __future__ import annotations

KINDS = ("ORDER", "RENEWAL", "FAILED_CHARGE")
STATUSES = ("DUE", "PAYMENT_PENDING", "PAID", "CANCELLED", "EXPIRED")

# The kinds `settle` knows how to complete. A kind joins this set when its area plugs its
# settlement into `settle` (RENEWAL: domain/contracts; ORDER: the shop); until then paying
# one is refused with PENDING_PAYMENT_NOT_PAYABLE before any money moves.
PAYABLE_KINDS = frozenset({"FAILED_CHARGE", "RENEWAL"})


def failed_charge_key(invoice_id: int) -> str:
    """The dedupe key of the one FAILED_CHARGE an invoice may open (one autopay attempt per invoice)."""
    return f"autopay:{invoice_id}"
