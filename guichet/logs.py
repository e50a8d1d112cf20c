"""Structured logging: one line per event (key=value text or JSON lines), with the request's id,
principal and organisation, and never a secret.

`configure_logging` is called once per process at start-up (`guichet serve` and each uvicorn
worker through guichet.asgi). Every record gets the fields of the request it belongs to from
`RequestLog`, bound by the HTTP middleware: the request id at once, the principal when the bearer
is resolved, the organisation when an access to one is decided.

Secrets never reach the output: the formatter redacts the signature of invoice download links,
`token`/`signature` query parameters (uvicorn's access log prints whole paths), bearer tokens and
card-like numbers in messages and tracebacks, and drops the value of any field named like a secret.
SQL parameters are kept out of exceptions by the engines (`hide_parameters=True`, guichet.db).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
REDACTED = "[REDACTED]"

# Attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of msg
}
# `module` and `action` are LogRecord-safe spellings of the access fields (module is a LogRecord attribute).
_RENAMED = {"access_module": "module", "access_action": "action"}
_SECRET_FIELDS = re.compile(
    r"(?:^|_)(?:password|passwd|token|secret|authorization|cookie|card|card_number|pan|cvv|cvc)(?:$|_)", re.I
)
_PATTERNS = (
    # Invoice download links: /invoices/<id>.<expires>.<signature>.pdf
    (re.compile(r"(/invoices/\d+\.\d+\.)[^./?#\s\"']+(\.pdf)"), rf"\1{REDACTED}\2"),
    # Attachment upload and download links: /uploads/<org>.<id>.<expires>.<signature>, /attachments/…
    (re.compile(r"(/(?:uploads|attachments)/\d+\.\d+\.\d+\.)[^/?#\s\"']+"), rf"\1{REDACTED}"),
    # token=, signature=, sig= in query strings (activation, reset and invitation links).
    (re.compile(r"([?&;](?:token|signature|sig)=)[^&#\s\"']*", re.I), rf"\1{REDACTED}"),
    (re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.I), rf"\1{REDACTED}"),
    # Quoted secrets in echoed inputs, e.g. graphql-core's "got invalid value {'password': '…'}".
    (
        re.compile(r"""(['"]\w*(?:password|token|secret|cvc|cvv)\w*['"]\s*:\s*)(['"])(?:\\.|(?!\2).)*\2""", re.I),
        rf"\1\2{REDACTED}\2",
    ),
)
# Card numbers: 13 to 19 digits, maybe grouped by spaces or dashes, passing the Luhn check (so
# phone numbers and timestamps stay readable); the last four digits stay.
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"[CARD ****{digits[-4:]}]" if _luhn(digits) else match.group(0)


@dataclass
class RequestLog:
    """The request a log line belongs to; one mutable object per request, shared by its tasks."""

    request_id: str = "-"
    principal: str = "-"
    organisation: str = "-"


_current: contextvars.ContextVar[RequestLog | None] = contextvars.ContextVar("guichet_request_log", default=None)


def bind_request(request_id: str) -> contextvars.Token[RequestLog | None]:
    """Start the log context of a request (the middleware resets it with the returned token)."""
    return _current.set(RequestLog(request_id=request_id))


def unbind_request(token: contextvars.Token[RequestLog | None]) -> None:
    _current.reset(token)


def set_principal(principal: str) -> None:
    """Name who is signed in (e.g. person:42) on this request's lines."""
    current = _current.get()
    if current is not None:
        current.principal = principal


def set_organisation(organisation_id: int) -> None:
    """Name the organisation this request acts on (the last one an access was decided for)."""
    current = _current.get()
    if current is not None:
        current.organisation = str(organisation_id)


def _stamp(record: logging.LogRecord) -> None:
    current = _current.get()
    if current is not None:
        record._guichet_request = (current.request_id, current.principal, current.organisation)


def install_context_fields() -> None:
    """Stamp every record, when it is made, with its request's fields (so a handler that formats
    later, or elsewhere, still knows them). Idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_guichet", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _stamp(record)
        return record

    make._guichet = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)


def redact(text: str) -> str:
    """`text` with link signatures, tokens, bearer credentials and card numbers replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _CARD.sub(_mask_card, text)


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The ordered fields of one line: time, level, logger, message, request, then the record's extras."""
    current = _current.get()
    stamped = getattr(record, "_guichet_request", None)
    if stamped is None:
        stamped = (current.request_id, current.principal, current.organisation) if current else ("-", "-", "-")
    fields: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": redact(record.getMessage()),
        "request_id": stamped[0],
        "principal": stamped[1],
        "organisation": stamped[2],
    }
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_"):
            continue
        name = _RENAMED.get(key, key)
        if _SECRET_FIELDS.search(name):
            fields[name] = REDACTED
        elif value is None:
            fields[name] = "-"
        else:
            fields[name] = redact(str(value)) if isinstance(value, str) else value
    if record.exc_info:
        fields["exc"] = redact(logging.Formatter().formatException(record.exc_info))
    return fields


def _text_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and not re.search(r"[\s\"=]", text):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=info logger=guichet.security msg=auth.login.failed request_id=… email=…` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_text_value(v)}" for k, v in fields_of(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the same fields."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(fields_of(record), default=str, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else KeyValueFormatter()


def configure_logging(*, log_format: str = "text", level: str = "INFO", stream: Any = None) -> None:
    """Send every logger (Guichet's, uvicorn's, SQLAlchemy's) to one stderr handler in `log_format`."""
    install_context_fields()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.set_name("guichet")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "guichet":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("casbin").setLevel(logging.WARNING)  # it prints its whole model at INFO on start-up
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
