"""Payments: rules (wallet numbers, expiry, allocation), services (pay, settle, expire), webhooks."""

from guichet.domain.payments.service import (
    CardReconciliation,
    Change,
    Gateways,
    PayRequest,
    PayResult,
    WebhookResult,
    apply_webhook,
    expire_payments,
    pay_invoices,
    reconcile_card_payments,
    settle_card_payment,
)

__all__ = [
    "CardReconciliation",
    "Change",
    "Gateways",
    "PayRequest",
    "PayResult",
    "WebhookResult",
    "apply_webhook",
    "expire_payments",
    "pay_invoices",
    "reconcile_card_payments",
    "settle_card_payment",
]
