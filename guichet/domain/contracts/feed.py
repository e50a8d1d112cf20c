"""The contracts of the back-office feed (`guichet import`), upserted by contract number.

Record (OPERATIONS.md):

    {"number": "CT-2026-0001", "name": "Support Premier", "billingAccount": "BA-1001", "status": "ACTIVE",
     "startDate": "2026-01-01", "endDate": "2026-12-31", "renewalNoticeDate": "2026-11-30", "autoRenew": true,
     "terminatedOn": null,
     "lines": [{"product": "Premier Support", "quantity": 2, "unitPrice": "60000", "frequency": "MONTHLY",
                "startDate": "2026-01-01", "lineNumber": "+2250701020304"}]}

Prices are decimal strings in the organisation's currency. A known number is updated in place and
its lines replaced only when they differ, so re-importing the same file changes nothing. Raise
FeedError(path, message) naming the faulty record: an unknown field, status or frequency, a bad
date, amount or quantity, an account or fleet line the organisation does not have, a number of
another organisation, a duplicate number, more than 1200 periods on a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.contracts import rules
from guichet.domain.feed.errors import FeedError
from guichet.domain.models.contracts import Contract, ContractLine
from guichet.domain.money import MoneyError, parse_amount

FIELDS = (
    "number",
    "name",
    "billingAccount",
    "status",
    "startDate",
    "endDate",
    "renewalNoticeDate",
    "autoRenew",
    "terminatedOn",
    "lines",
)
LINE_FIELDS = ("product", "description", "quantity", "unitPrice", "frequency", "startDate", "endDate", "lineNumber")


async def import_contracts(
    session: AsyncSession, organisation: models.Organisation, records: list[Any], path: str, now: datetime
) -> None:
    """Create or update the organisation's contracts with their lines (inside the feed's transaction)."""
    parsed = [_parse(record, f"{path}[{i}]", organisation.currency) for i, record in enumerate(records)]
    seen: dict[str, str] = {}
    for item in parsed:
        if item["number"] in seen:
            raise FeedError(item["path"], f"duplicate contract number (also {seen[item['number']]})")
        seen[item["number"]] = item["path"]
    if not parsed:
        return
    accounts = {
        a.number: a
        for a in (
            await session.execute(
                select(models.BillingAccount).where(models.BillingAccount.organisation_id == organisation.id)
            )
        ).scalars()
    }
    fleet = {
        line.number: line
        for line in (
            await session.execute(select(models.Line).where(models.Line.organisation_id == organisation.id))
        ).scalars()
    }
    existing = {
        c.number: c for c in (await session.execute(select(Contract).where(Contract.number.in_(list(seen))))).scalars()
    }
    for item in parsed:
        account = accounts.get(item["billingAccount"])
        if account is None:
            raise FeedError(item["path"], f"billing account {item['billingAccount']!r} is not this customer's")
        lines = []
        for line in item["lines"]:
            line_id = None
            if line["lineNumber"] is not None:
                found = fleet.get(line["lineNumber"])
                if found is None or found.billing_account_id != account.id:
                    raise FeedError(
                        line["path"], f"line {line['lineNumber']!r} is not on billing account {account.number}"
                    )
                line_id = found.id
            lines.append({**line, "line_id": line_id})
        contract = existing.get(item["number"])
        if contract is not None and contract.organisation_id != organisation.id:
            raise FeedError(item["path"], "this contract number belongs to another customer")
        await _upsert(session, organisation, account, contract, item, lines, now)


async def _upsert(
    session: AsyncSession,
    organisation: models.Organisation,
    account: models.BillingAccount,
    contract: Contract | None,
    item: dict[str, Any],
    lines: list[dict[str, Any]],
    now: datetime,
) -> None:
    values = {
        "billing_account_id": account.id,
        "name": item["name"],
        "status": item["status"],
        "start_date": item["startDate"],
        "end_date": item["endDate"],
        "renewal_notice_date": item["renewalNoticeDate"],
        "auto_renew": item["autoRenew"],
        "terminated_on": item["terminatedOn"],
    }
    if contract is None:
        contract = Contract(
            organisation_id=organisation.id,
            number=item["number"],
            currency=organisation.currency,
            created_at=now,
            updated_at=now,
            **values,
        )
        session.add(contract)
        await session.flush()
        stored: list[tuple[Any, ...]] = []
    else:
        changed = False
        for key, value in values.items():
            if getattr(contract, key) != value:
                setattr(contract, key, value)
                changed = True
        if changed:
            contract.updated_at = now
        rows = (
            await session.execute(
                select(ContractLine).where(ContractLine.contract_id == contract.id).order_by(ContractLine.position)
            )
        ).scalars()
        stored = [
            _key(
                r.product,
                r.description,
                r.quantity,
                r.unit_price_minor,
                r.frequency,
                r.start_date,
                r.end_date,
                r.line_id,
            )
            for r in rows
        ]
    wanted = [
        _key(
            ln["product"],
            ln["description"],
            ln["quantity"],
            ln["unitPrice"],
            ln["frequency"],
            ln["startDate"],
            ln["endDate"],
            ln["line_id"],
        )
        for ln in lines
    ]
    if stored == wanted:
        return
    await session.execute(delete(ContractLine).where(ContractLine.contract_id == contract.id))
    for position, ln in enumerate(lines, start=1):
        session.add(
            ContractLine(
                organisation_id=organisation.id,
                contract_id=contract.id,
                position=position,
                product=ln["product"],
                description=ln["description"],
                quantity=ln["quantity"],
                unit_price_minor=ln["unitPrice"],
                frequency=ln["frequency"],
                line_id=ln["line_id"],
                start_date=ln["startDate"],
                end_date=ln["endDate"],
            )
        )
    contract.updated_at = now
    await session.flush()


def _key(*values: Any) -> tuple[Any, ...]:
    return values


def _parse(record: Any, path: str, currency: str) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise FeedError(path, "must be a JSON object")
    number = record.get("number")
    label = f"{path} ({number})" if isinstance(number, str) and number else path
    _known(record, FIELDS, label)
    number = _string(record, "number", label, 50)
    status = record.get("status", "ACTIVE")
    if status not in rules.STATUSES:
        raise FeedError(label, f"status must be one of {', '.join(rules.STATUSES)}")
    start = _day(record, "startDate", label, required=True)
    end = _day(record, "endDate", label)
    assert start is not None
    if end is not None and end < start:
        raise FeedError(label, f"endDate {end.isoformat()} is before startDate {start.isoformat()}")
    auto_renew = record.get("autoRenew", False)
    if not isinstance(auto_renew, bool):
        raise FeedError(label, "autoRenew must be true or false")
    raw_lines = record.get("lines", [])
    if not isinstance(raw_lines, list):
        raise FeedError(label, "lines must be a list")
    lines = [_line(raw, f"{label}.lines[{i}]", currency, start, end) for i, raw in enumerate(raw_lines)]
    return {
        "path": label,
        "number": number,
        "name": _string(record, "name", label, 200),
        "billingAccount": _string(record, "billingAccount", label, 50),
        "status": status,
        "startDate": start,
        "endDate": end,
        "renewalNoticeDate": _day(record, "renewalNoticeDate", label),
        "autoRenew": auto_renew,
        "terminatedOn": _day(record, "terminatedOn", label),
        "lines": lines,
    }


def _line(raw: Any, path: str, currency: str, contract_start: date, contract_end: date | None) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise FeedError(path, "must be a JSON object")
    _known(raw, LINE_FIELDS, path)
    quantity = raw.get("quantity", 1)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 1_000_000:
        raise FeedError(path, "quantity must be a whole number from 1 to 1000000")
    price = raw.get("unitPrice")
    if not isinstance(price, str):
        raise FeedError(path, 'unitPrice must be a decimal string such as "60000"')
    try:
        unit_minor = parse_amount(price, currency).minor
    except MoneyError as error:
        raise FeedError(path, f"unitPrice: {error}") from None
    if unit_minor < 0:
        raise FeedError(path, "unitPrice may not be negative")
    frequency = raw.get("frequency")
    if frequency not in rules.FREQUENCIES:
        raise FeedError(path, f"frequency must be one of {', '.join(rules.FREQUENCIES)}")
    start = _day(raw, "startDate", path) or contract_start
    end = _day(raw, "endDate", path)
    if end is not None and end < start:
        raise FeedError(path, f"endDate {end.isoformat()} is before startDate {start.isoformat()}")
    last = rules.line_end(end, contract_end)
    if rules.period_count(frequency=frequency, start=start, end=last) >= rules.MAX_PERIODS:
        raise FeedError(path, f"more than {rules.MAX_PERIODS - 1} periods")
    line_number = raw.get("lineNumber")
    if line_number is not None and (not isinstance(line_number, str) or not line_number.strip()):
        raise FeedError(path, "lineNumber must be a fleet line's number")
    description = raw.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 500):
        raise FeedError(path, "description must be a string of at most 500 characters")
    return {
        "path": path,
        "product": _string(raw, "product", path, 200),
        "description": description,
        "quantity": quantity,
        "unitPrice": unit_minor,
        "frequency": frequency,
        "startDate": start,
        "endDate": end,
        "lineNumber": line_number.strip() if isinstance(line_number, str) else None,
    }


def _known(record: Mapping[str, Any], fields: tuple[str, ...], label: str) -> None:
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise FeedError(label, f"unknown field {unknown[0]!r} (expected one of: {', '.join(fields)})")


def _string(record: Mapping[str, Any], name: str, label: str, max_len: int) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise FeedError(label, f"{name} is required (a string of at most {max_len} characters)")
    return value.strip()


def _day(record: Mapping[str, Any], name: str, label: str, *, required: bool = False) -> date | None:
    value = record.get(name)
    if value is None:
        if required:
            raise FeedError(label, f"{name} is required (YYYY-MM-DD)")
        return None
    if not isinstance(value, str):
        raise FeedError(label, f"{name} must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FeedError(label, f"{name} {value!r} is not a date (YYYY-MM-DD)") from None
