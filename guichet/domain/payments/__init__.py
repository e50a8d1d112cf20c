"""Payments: rules (wallet numbers, expiry, allocation), services (pay, settle, expire), webhooks."""

from guichet.domain.payments.service import (
    Change,
    Gateways,
    PayRequest,
    PayResult,
    WebhookResult,
    apply_webhook,
    expire_payments,
    pay_invoices,
)

__all__ = [
    "Change",
    "Gateways",
    "PayRequest",
    "PayResult",
    "WebhookResult",
    "apply_webhook",
    "expire_payments",
    "pay_invoices",
]
