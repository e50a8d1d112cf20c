"""The one error vocabulary of the domain: stable codes and a DomainError that carries one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    TOKEN_INVALID = "TOKEN_INVALID"
    TAXPAYER_NUMBER_UNKNOWN = "TAXPAYER_NUMBER_UNKNOWN"
    ALREADY_REGISTERED = "ALREADY_REGISTERED"
    INVOICE_NOT_PAYABLE = "INVOICE_NOT_PAYABLE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    CARD_INVALID = "CARD_INVALID"
    CARD_BRAND_NOT_ACCEPTED = "CARD_BRAND_NOT_ACCEPTED"
    CARD_EXPIRES_TOO_SOON = "CARD_EXPIRES_TOO_SOON"
    DEBIT_ALREADY_SCHEDULED = "DEBIT_ALREADY_SCHEDULED"
    SCHEDULE_UNPAID = "SCHEDULE_UNPAID"
    NOTHING_TO_REGULARISE = "NOTHING_TO_REGULARISE"
    INSTALLMENT_COUNT_NOT_ALLOWED = "INSTALLMENT_COUNT_NOT_ALLOWED"
    ROLE_NOT_GRANTABLE = "ROLE_NOT_GRANTABLE"
    CANNOT_MANAGE_ADMIN = "CANNOT_MANAGE_ADMIN"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    INVALID_STATUS_TRANSITION = "INVALID_STATUS_TRANSITION"
    SERVICE_REQUEST_CLOSED = "SERVICE_REQUEST_CLOSED"
    REOPEN_WINDOW_EXPIRED = "REOPEN_WINDOW_EXPIRED"
    ATTACHMENT_TOO_LARGE = "ATTACHMENT_TOO_LARGE"
    ATTACHMENT_TYPE_NOT_ALLOWED = "ATTACHMENT_TYPE_NOT_ALLOWED"
    TOO_MANY_ATTACHMENTS = "TOO_MANY_ATTACHMENTS"
    EXPORT_LIMIT_REACHED = "EXPORT_LIMIT_REACHED"
    EXPORT_NOT_CANCELLABLE = "EXPORT_NOT_CANCELLABLE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    PENDING_PAYMENT_NOT_PAYABLE = "PENDING_PAYMENT_NOT_PAYABLE"
    PAYMENT_METHOD_IN_USE = "PAYMENT_METHOD_IN_USE"
    LAST_BILL_TO_CONTACT = "LAST_BILL_TO_CONTACT"
    ACTION_NOT_ALLOWED_FOR_API_KEY = "ACTION_NOT_ALLOWED_FOR_API_KEY"
    OFFERING_NOT_AVAILABLE = "OFFERING_NOT_AVAILABLE"
    QUANTITY_NOT_ALLOWED = "QUANTITY_NOT_ALLOWED"
    CART_EMPTY = "CART_EMPTY"
    CART_EXPIRED = "CART_EXPIRED"
    PRICE_CHANGED = "PRICE_CHANGED"
    ORDER_NOT_CANCELLABLE = "ORDER_NOT_CANCELLABLE"
    ORDER_NOT_PENDING_APPROVAL = "ORDER_NOT_PENDING_APPROVAL"
    CANNOT_APPROVE_OWN_ORDER = "CANNOT_APPROVE_OWN_ORDER"
    WEBHOOK_URL_NOT_ALLOWED = "WEBHOOK_URL_NOT_ALLOWED"
    WEBHOOK_ENDPOINT_LIMIT_REACHED = "WEBHOOK_ENDPOINT_LIMIT_REACHED"
    REWARD_BALANCE_INSUFFICIENT = "REWARD_BALANCE_INSUFFICIENT"
    INVOICE_NOT_ELIGIBLE_FOR_REWARDS = "INVOICE_NOT_ELIGIBLE_FOR_REWARDS"
    AMOUNT_EXCEEDS_AMOUNT_DUE = "AMOUNT_EXCEEDS_AMOUNT_DUE"


class DomainError(Exception):
    """A business refusal: a stable code, a message key of the catalogue, and the field at fault.

    `message_key` names an entry of guichet.i18n.messages (defaults to the code itself) and
    `params` fill its placeholders, so the same error renders in French or English.
    """

    def __init__(
        self,
        code: ErrorCode,
        message_key: str | None = None,
        *,
        field: Sequence[str] | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.code = code
        self.message_key = message_key or code.value
        self.field = list(field) if field is not None else None
        self.params = dict(params or {})
        super().__init__(f"{code.value}: {self.message_key}")


class DomainErrors(Exception):
    """Several refusals at once (e.g. every weak-password rule that failed on several fields)."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in errors))
