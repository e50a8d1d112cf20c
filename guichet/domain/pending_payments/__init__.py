"""Pending payments: open one (idempotent by dedupe key), claim, settle or release it with a payment."""

from guichet.domain.pending_payments.services import (
    claim_for_payment,
    open_pending_payment,
    release_for_payment,
    settle,
    settle_for_payment,
)

__all__ = ["claim_for_payment", "open_pending_payment", "release_for_payment", "settle", "settle_for_payment"]
