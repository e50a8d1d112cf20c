"""The areas record their events through record_event, inside the change's own transaction."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.feed.importer import import_feed_file
from guichet.domain.gateways.card import SandboxCardGateway
from guichet.domain.models.webhooks import Event, EventAccount
from guichet.domain.schedules.collect import collect_debits
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_invoice, make_member, make_organisation
from tests.factories_exports import START, make_export_world, start_input, wait_final
from tests.factories_payments import PAY, make_pay_world, pay_input, send_webhook
from tests.factories_pending_payments import open_failed_charge
from tests.factories_schedules import make_schedule
from tests.factories_service_requests import back_office, make_sr_world, open_request, uow_of
from tests.factories_webhooks import Receiver, StubResolver, manual_worker

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


async def _events(sessionmaker: Any) -> list[tuple[str, str, int, list[int]]]:
    """(type, subject type, subject pk, accounts) of every event, oldest first."""
    async with sessionmaker() as session:
        events = (await session.execute(select(Event).order_by(Event.id))).scalars().all()
        accounts = (await session.execute(select(EventAccount.event_id, EventAccount.billing_account_id))).all()
    by_event: dict[int, list[int]] = {}
    for event_id, account in accounts:
        by_event.setdefault(event_id, []).append(account)
    return [(e.type, e.subject_type, e.subject_pk, sorted(by_event.get(e.id, []))) for e in events]


async def test_a_payment_that_succeeds_records_payment_succeeded_and_invoice_paid(app, gql, http, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]

    response = await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW
    )

    assert response.status_code == 200
    async with sessionmaker() as session:
        payment_pk = (
            await session.execute(select(Event.subject_pk).where(Event.type == "PAYMENT_SUCCEEDED"))
        ).scalar_one()
    account = world.account.id
    assert await _events(sessionmaker) == [
        ("PAYMENT_SUCCEEDED", "Payment", payment_pk, [account]),
        ("INVOICE_PAID", "Invoice", world.invoices[0].id, [account]),
        ("INVOICE_PAID", "Invoice", world.invoices[1].id, [account]),
    ]


async def test_a_payment_that_fails_records_payment_failed(app, gql, http, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]

    await send_webhook(
        http,
        "orange-money",
        {"reference": payment["reference"], "status": "FAILED", "reason": "cancelled"},
        at=TEST_NOW,
    )

    assert [(t, s, a) for t, s, _pk, a in await _events(sessionmaker)] == [
        ("PAYMENT_FAILED", "Payment", [world.account.id])
    ]


async def test_a_service_request_status_change_is_recorded(app, http, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)

    await back_office(http, {"number": request.number, "status": "ACKNOWLEDGED"})

    assert await _events(sessionmaker) == [
        ("SERVICE_REQUEST_STATUS_CHANGED", "ServiceRequest", request.id, [world.account.id])
    ]


async def test_imported_invoices_are_issued_once(app, sessionmaker, tmp_path) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(json.loads((FEEDS / "basic.json").read_text())))

    await import_feed_file(sessionmaker, str(path), now=TEST_NOW)
    first = await _events(sessionmaker)
    await import_feed_file(sessionmaker, str(path), now=TEST_NOW)

    assert first and {t for t, *_ in first} == {"INVOICE_ISSUED"}
    async with sessionmaker() as session:
        invoices = (await session.execute(select(models.Invoice.id, models.Invoice.billing_account_id))).all()
    assert sorted((pk, accounts) for _t, _s, pk, accounts in first) == sorted((i, [a]) for i, a in invoices)
    assert await _events(sessionmaker) == first  # re-importing issues nothing


async def test_a_failed_charge_opens_a_pending_payment_and_records_it(app, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        item = await open_failed_charge(session, await make_invoice(session, account))
        again = await open_failed_charge(session, await session.get(models.Invoice, item.invoice_id))

    assert again.id == item.id
    assert await _events(sessionmaker) == [("PENDING_PAYMENT_CREATED", "PendingPayment", item.id, [account.id])]


async def test_a_refused_instalment_records_installment_unpaid(app, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Jean Dupont", currency="EUR", kind="INDIVIDUAL")
        await make_member(session, org, primary_admin=True, email=f"jean{org.id}@example.fr")
        declined = {"brand": "VISA", "last4": "0002", "expMonth": 12, "expYear": 2030}
        schedule = await make_schedule(session, org, statuses={1: "PAID"}, card=declined)

    await collect_debits(
        uow_of(sessionmaker),
        gateway=SandboxCardGateway(),
        as_of=date(2026, 11, 25),
        now=TEST_NOW,
        public_url="http://guichet.test",
        support_phone="08 90 39 24 18",
    )

    assert await _events(sessionmaker) == [("INSTALLMENT_UNPAID", "Schedule", schedule.id, [])]


async def test_a_completed_export_is_recorded_for_its_owner(app, gql, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
    started = (await gql(START, start_input(world), token=world.manager.token))["data"]["startExport"]

    done = await wait_final(gql, started["export"]["id"], world.manager.token)

    assert done["status"] == "COMPLETED"
    async with sessionmaker() as session:
        event = (await session.execute(select(Event).where(Event.type == "EXPORT_COMPLETED"))).scalar_one()
    assert (event.subject_type, event.owner_principal) == ("ExportJob", f"contact:{world.manager.contact_id}")


async def test_an_invoice_falling_overdue_is_recorded_once(app, sessionmaker) -> None:
    worker = await manual_worker(app, StubResolver(), Receiver())
    today = TEST_NOW.date()
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        late = await make_invoice(session, account, due=today - timedelta(days=1))
        await make_invoice(session, account, due=today)  # due today: still OPEN
        await make_invoice(session, account, due=today - timedelta(days=2), paid_minor=10_000, total_minor=10_000)
        await make_invoice(session, account, due=today - timedelta(days=8))  # before the look-back

    await worker.run_pending()
    worker.overdue_checked_at = None  # as a second process would
    await worker.run_pending()

    assert await _events(sessionmaker) == [("INVOICE_OVERDUE", "Invoice", late.id, [account.id])]
