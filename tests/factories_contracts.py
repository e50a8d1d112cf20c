"""Contracts with lines straight in the database, and the scene the contract tests share."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.contracts import Contract, ContractLine
from tests.conftest import TEST_NOW
from tests.factories import Member, make_account, make_line, make_member, make_organisation
from tests.factories_invoices import make_full_invoice

_counter = itertools.count(1)


async def make_contract(
    session: Any,
    account: models.BillingAccount,
    *,
    number: str | None = None,
    name: str = "Support Premier",
    status: str = "ACTIVE",
    start: date = date(2026, 1, 1),
    end: date | None = date(2026, 12, 31),
    notice: date | None = date(2026, 11, 30),
    auto_renew: bool = True,
    terminated_on: date | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> Contract:
    """A contract of `account` with `lines` (product, quantity, unit_price_minor, frequency, start, line_id)."""
    contract = Contract(
        organisation_id=account.organisation_id,
        billing_account_id=account.id,
        number=number or f"CT-T-{next(_counter):06d}",
        name=name,
        status=status,
        currency="XOF",
        start_date=start,
        end_date=end,
        renewal_notice_date=notice,
        auto_renew=auto_renew,
        terminated_on=terminated_on,
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
    )
    session.add(contract)
    await session.flush()
    for position, line in enumerate(lines or [{}], start=1):
        session.add(
            ContractLine(
                organisation_id=account.organisation_id,
                contract_id=contract.id,
                position=position,
                product=line.get("product", "Premier Support"),
                description=line.get("description"),
                quantity=line.get("quantity", 2),
                unit_price_minor=line.get("unit_price_minor", 60000),
                frequency=line.get("frequency", "MONTHLY"),
                line_id=line.get("line_id"),
                start_date=line.get("start", start),
                end_date=line.get("end"),
            )
        )
    await session.flush()
    return contract


@dataclass
class ContractWorld:
    org: models.Organisation
    account_a: models.BillingAccount
    account_b: models.BillingAccount
    fleet_line: models.Line
    support: Contract  # account A, monthly, 2026, one invoice for January
    annual: Contract  # account B, annual
    finance: Member
    commercial: Member
    management: Member
    finance_b: Member  # FINANCE over account B only
    admin: Member
    invoice_number: str

    @property
    def org_id(self) -> str:
        return to_global_id("Organisation", self.org.id)

    def id_of(self, contract: Contract) -> str:
        return to_global_id("Contract", contract.id)


async def build_world(session: Any) -> ContractWorld:
    org = await make_organisation(session, name="ACME")
    account_a = await make_account(session, org, name="Siège")
    account_b = await make_account(session, org, name="Agence")
    fleet = await make_line(session, account_a)
    support = await make_contract(
        session,
        account_a,
        number="CT-2026-0001",
        lines=[
            {"product": "Premier Support", "quantity": 2, "unit_price_minor": 60000, "line_id": fleet.id},
            {"product": "Mise en service", "quantity": 1, "unit_price_minor": 150000, "frequency": "ONE_TIME"},
        ],
    )
    annual = await make_contract(
        session,
        account_b,
        number="CT-2026-0002",
        name="Flotte annuelle",
        start=date(2026, 3, 1),
        end=date(2028, 2, 29),
        notice=date(2028, 1, 31),
        auto_renew=False,
        lines=[{"product": "Licence flotte", "quantity": 10, "unit_price_minor": 12000, "frequency": "ANNUAL"}],
    )
    invoice = await make_full_invoice(
        session, account_a, number="F-2026-CT-01", period=(date(2026, 1, 1), date(2026, 1, 31))
    )
    invoice.contract_number = "CT-2026-0001"
    await session.flush()
    return ContractWorld(
        org=org,
        account_a=account_a,
        account_b=account_b,
        fleet_line=fleet,
        support=support,
        annual=annual,
        finance=await make_member(session, org, roles=[("FINANCE", None)]),
        commercial=await make_member(session, org, roles=[("COMMERCIAL", None)]),
        management=await make_member(session, org, roles=[("MANAGEMENT", None)]),
        finance_b=await make_member(session, org, roles=[("FINANCE", account_b.id)]),
        admin=await make_member(session, org, primary_admin=True),
        invoice_number=invoice.number,
    )
