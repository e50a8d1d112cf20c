"""Card charges happen outside any database transaction, and a lost outcome is reconciled by reference.

payInvoices (CARD) and regulariseSchedule commit a PENDING payment first, charge the card under the
payment's reference with no transaction open, then record the outcome. When the outcome is lost
(the provider timed out, the process died, the commit failed), the payment stays PENDING and
`guichet jobs expire-payments` asks the provider and settles it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from guichet.cli.main import cli
from guichet.domain import models
from guichet.domain.ids import from_global_id, to_global_id
from guichet.domain.models.payments import Payment
from guichet.domain.models.schedules import Installment, Regularisation, Schedule, ScheduleDebit
from guichet.domain.payments import reconcile_card_payments
from guichet.domain.payments.rules import CARD_RECONCILE_AFTER_SECONDS
from tests.conftest import TEST_NOW
from tests.factories import make_member, make_organisation
from tests.factories_card_charges import VISA_OK, ChargeOnlyGateway, ScriptedGateway, use_gateway
from tests.factories_payments import PAY, PAYMENT, make_pay_world, pay_input, send_webhook
from tests.factories_schedules import make_unpaid_schedule

AFTER_GRACE = TEST_NOW + timedelta(seconds=CARD_RECONCILE_AFTER_SECONDS)

REGULARISE = """
mutation($input: RegulariseScheduleInput!) {
  regulariseSchedule(input: $input) {
    succeeded message
    payment { id status failure { code } }
    schedule { status installments { number status kind } }
    errors { code message field }
  }
}
"""


def spy(monkeypatch: Any, module: Any, name: str, called: asyncio.Event | None = None) -> list[tuple[Any, ...]]:
    """Record the calls of module.name (still calling it); set `called` at the first one."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(module, name)

    async def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if called is not None:
            called.set()
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return calls


def twin_during_charge(send: Any, twin_waiting: asyncio.Event) -> tuple[Any, list[asyncio.Task[Any]]]:
    """A while_charging hook that sends the twin request and returns once the twin is waiting.

    The first request's charge is then under way for sure while its twin looks for the result.
    """
    twins: list[asyncio.Task[Any]] = []

    async def hook(_reference: str) -> None:
        twins.append(asyncio.create_task(send()))
        await asyncio.wait_for(twin_waiting.wait(), timeout=60)

    return hook, twins


async def invoice_rows(sessionmaker: Any, world: Any) -> list[tuple[int, int | None]]:
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(models.Invoice.amount_paid_minor, models.Invoice.pending_payment_id)
                .where(models.Invoice.id.in_([i.id for i in world.invoices]))
                .order_by(models.Invoice.id)
            )
        ).all()
    return [tuple(r) for r in rows]


async def payments(sessionmaker: Any) -> list[tuple[str, str, str | None, str | None]]:
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(Payment.reference, Payment.status, Payment.failure_code, Payment.provider_reference).order_by(
                    Payment.id
                )
            )
        ).all()
    return [tuple(r) for r in rows]


async def audit_actions(sessionmaker: Any) -> list[str]:
    async with sessionmaker() as session:
        return list((await session.execute(select(models.AuditEvent.action).order_by(models.AuditEvent.id))).scalars())


# ---------------------------------------------------------------- payInvoices


async def test_the_card_is_charged_after_the_pending_payment_is_committed(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    seen: list[Any] = []

    async def look(reference: str) -> None:
        # Another connection sees the payment and its claims: they are committed, no lock is held.
        async with sessionmaker() as session, session.begin():
            payment = (await session.execute(select(Payment).where(Payment.reference == reference))).scalar_one()
            claimed = (
                await session.execute(select(func.count()).where(models.Invoice.pending_payment_id == payment.id))
            ).scalar_one()
            seen.append((payment.status, payment.method, claimed))

    gateway = ScriptedGateway(while_charging=look)
    use_gateway(app, gateway)

    result = await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)

    payment = result["data"]["payInvoices"]["payment"]
    assert payment["status"] == "SUCCEEDED"
    assert seen == [("PENDING", "CARD", 2)]
    assert gateway.calls == [payment["reference"]]
    assert await payments(sessionmaker) == [(payment["reference"], "SUCCEEDED", None, f"prov-{payment['reference']}")]
    assert await invoice_rows(sessionmaker, world) == [(25000, None), (30000, None)]


async def test_a_timeout_after_the_provider_answered_is_settled_at_once(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    use_gateway(app, ScriptedGateway(lose_answer=True))

    result = await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)

    assert result["data"]["payInvoices"]["payment"]["status"] == "SUCCEEDED"
    assert await invoice_rows(sessionmaker, world) == [(25000, None), (30000, None)]


async def test_an_unknown_outcome_stays_pending_until_the_job_finds_the_charge(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    gateway = ScriptedGateway(lose_answer=True, lookup_down=True)  # charged, but nobody can tell yet
    use_gateway(app, gateway)

    result = await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)

    payment = result["data"]["payInvoices"]["payment"]
    assert (payment["status"], payment["failure"]) == ("PENDING", None)
    payment_pk = int(from_global_id(payment["id"])[1])
    assert await invoice_rows(sessionmaker, world) == [(0, payment_pk), (0, payment_pk)]
    again = await gql(PAY, pay_input(world, key="key-2", method="CARD", card=VISA_OK), token=world.finance.token)
    assert again["data"]["payInvoices"]["errors"][0]["code"] == "INVOICE_NOT_PAYABLE"
    assert len(gateway.charges) == 1

    gateway.lookup_down = False
    early = await reconcile_card_payments(sessionmaker, gateway=gateway, now=TEST_NOW + timedelta(seconds=60))
    report = await reconcile_card_payments(sessionmaker, gateway=gateway, now=AFTER_GRACE)
    twice = await reconcile_card_payments(sessionmaker, gateway=gateway, now=AFTER_GRACE)

    assert (early.settled, early.awaiting) == (0, [])
    assert report.settled == 1
    assert [c.kind for c in report.changes] == ["payment", "invoice", "invoice"]
    assert (twice.settled, twice.changes) == (0, [])
    assert await payments(sessionmaker) == [(payment["reference"], "SUCCEEDED", None, f"prov-{payment['reference']}")]
    assert await invoice_rows(sessionmaker, world) == [(25000, None), (30000, None)]
    assert await audit_actions(sessionmaker) == ["payment.created", "payment.succeeded"]
    async with sessionmaker() as session:
        receipts = (await session.execute(select(models.OutboxEmail.subject))).scalars().all()
    assert receipts == [f"Reçu de paiement / Payment receipt {payment['reference']}"]
    node = (await gql(PAYMENT, {"id": payment["id"]}, token=world.finance.token))["data"]["node"]
    assert node["status"] == "SUCCEEDED"


async def test_a_gateway_that_raises_leaves_no_invoice_claimed_forever(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    gateway = ScriptedGateway(down=True)  # nothing ever reached the provider
    use_gateway(app, gateway)

    result = await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)
    assert result["data"]["payInvoices"]["payment"]["status"] == "PENDING"

    report = await reconcile_card_payments(sessionmaker, gateway=gateway, now=AFTER_GRACE)

    assert report.settled == 1
    reference = result["data"]["payInvoices"]["payment"]["reference"]
    assert await payments(sessionmaker) == [(reference, "FAILED", "provider_error", None)]
    assert await invoice_rows(sessionmaker, world) == [(0, None), (0, None)]
    gateway.down = False
    again = await gql(PAY, pay_input(world, key="key-2", method="CARD", card=VISA_OK), token=world.finance.token)
    assert again["data"]["payInvoices"]["payment"]["status"] == "SUCCEEDED"


async def test_a_lost_commit_after_the_charge_is_recovered_by_the_job(app, gql, sessionmaker, monkeypatch) -> None:
    from guichet.domain.payments import service

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    gateway = ScriptedGateway()
    use_gateway(app, gateway)

    async def commit_fails(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(service, "settle_card_payment", commit_fails)
    result = await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)
    monkeypatch.undo()

    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["INTERNAL_SERVER_ERROR"]
    [(reference, status, _code, _provider)] = await payments(sessionmaker)
    assert status == "PENDING"
    assert list(gateway.charges) == [reference]  # the money was taken

    report = await reconcile_card_payments(sessionmaker, gateway=gateway, now=AFTER_GRACE)

    assert report.settled == 1
    assert await payments(sessionmaker) == [(reference, "SUCCEEDED", None, f"prov-{reference}")]
    assert await invoice_rows(sessionmaker, world) == [(25000, None), (30000, None)]


async def test_a_provider_without_lookup_leaves_the_payment_to_an_operator(app, gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    use_gateway(app, ChargeOnlyGateway())
    result = await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)
    reference = result["data"]["payInvoices"]["payment"]["reference"]

    report = await reconcile_card_payments(sessionmaker, gateway=ChargeOnlyGateway(), now=AFTER_GRACE)

    assert (report.settled, report.awaiting) == (0, [reference])
    assert (await payments(sessionmaker))[0][1] == "PENDING"
    response = await send_webhook(http, "card", {"reference": reference, "status": "SUCCEEDED"}, at=TEST_NOW)
    assert response.status_code == 200
    assert (await payments(sessionmaker))[0][1] == "SUCCEEDED"
    assert await invoice_rows(sessionmaker, world) == [(25000, None), (30000, None)]


async def test_a_twin_waits_for_the_first_charge_and_answers_its_outcome(app, gql, sessionmaker, monkeypatch) -> None:
    from guichet.domain.payments import service

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    twin_waiting = asyncio.Event()
    waits = spy(monkeypatch, service, "_await_card_outcome", twin_waiting)
    data = pay_input(world, method="CARD", card=VISA_OK)
    hook, twins = twin_during_charge(lambda: gql(PAY, data, token=world.finance.token), twin_waiting)
    gateway = ScriptedGateway(while_charging=hook)
    use_gateway(app, gateway)

    first = await gql(PAY, data, token=world.finance.token)
    second = await twins[0]

    assert first["data"]["payInvoices"]["payment"]["status"] == "SUCCEEDED"
    assert second["data"]["payInvoices"] == first["data"]["payInvoices"]
    assert len(gateway.calls) == 1
    assert len(waits) == 1  # the twin found the payment PENDING and waited for its outcome


async def test_expire_payments_never_fails_a_card_payment_by_its_age(app, gql, sessionmaker, settings) -> None:
    from guichet.domain.payments import expire_payments

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    use_gateway(app, ScriptedGateway(down=True))
    await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)

    changes = await expire_payments(sessionmaker, now=TEST_NOW + timedelta(days=2))

    assert changes == []
    assert (await payments(sessionmaker))[0][1] == "PENDING"


async def test_the_expire_payments_command_reconciles_card_payments(sessionmaker, database_url) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        long_ago = datetime.now(UTC) - timedelta(hours=1)
        session.add(
            Payment(
                organisation_id=world.org.id,
                payer_contact_id=world.finance.contact_id,
                reference="GP-STUCKCARD1",
                method="CARD",
                status="PENDING",
                currency="XOF",
                amount_minor=25000,
                received_minor=0,
                card_brand="VISA",
                card_last4="4242",
                card_exp_month=12,
                card_exp_year=2028,
                created_at=long_ago,
                updated_at=long_ago,
            )
        )

    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["jobs", "expire-payments"], env={"GUICHET_DATABASE_URL": database_url}
    )

    assert result.exit_code == 0, result.output
    # A fresh sandbox never saw that reference: no charge was made, the payment fails.
    assert result.output == "0 payment(s) expired, 1 card payment(s) reconciled\n"
    assert await payments(sessionmaker) == [("GP-STUCKCARD1", "FAILED", "provider_error", None)]


# ---------------------------------------------------------------- regulariseSchedule


async def unpaid_plan(sessionmaker: Any) -> tuple[Any, Schedule]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Jean Dupont", currency="EUR", kind="INDIVIDUAL")
        jean = await make_member(session, org, primary_admin=True)
        schedule = await make_unpaid_schedule(session, org)
    return jean, schedule


def regularise_input(schedule: Schedule, count: int, key: str = "key-1") -> dict[str, Any]:
    return {
        "input": {
            "scheduleId": to_global_id("Schedule", schedule.id),
            "installmentCount": count,
            "idempotencyKey": key,
        }
    }


async def plan_state(sessionmaker: Any, schedule_id: int) -> dict[str, Any]:
    async with sessionmaker() as session:
        schedule = await session.get(Schedule, schedule_id)
        parts = (
            await session.execute(
                select(Installment.number, Installment.kind, Installment.status)
                .where(Installment.schedule_id == schedule_id)
                .order_by(Installment.number)
            )
        ).all()
        attempts = (await session.execute(select(Regularisation.status).order_by(Regularisation.id))).scalars()
        debits = (await session.execute(select(func.count()).select_from(ScheduleDebit))).scalar_one()
        return {
            "status": schedule.status,
            "parts": [tuple(p) for p in parts],
            "attempts": list(attempts),
            "debits": debits,
        }


async def test_a_regularisation_is_charged_after_its_payment_is_committed(app, gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    seen: list[Any] = []

    async def look(reference: str) -> None:
        async with sessionmaker() as session, session.begin():
            payment = (await session.execute(select(Payment).where(Payment.reference == reference))).scalar_one()
            attempt = (await session.execute(select(Regularisation))).scalar_one()
            seen.append((payment.status, payment.amount_minor, attempt.status, attempt.payment_id == payment.id))

    gateway = ScriptedGateway(while_charging=look)
    use_gateway(app, gateway)

    result = await gql(REGULARISE, regularise_input(schedule, 3), token=jean.token, lang="fr")

    payload = result["data"]["regulariseSchedule"]
    assert (payload["errors"], payload["succeeded"], payload["payment"]["status"]) == ([], True, "SUCCEEDED")
    assert seen == [("PENDING", 5306, "PENDING", True)]
    assert len(gateway.calls) == 1 and gateway.calls[0].startswith("GP-")
    assert (await plan_state(sessionmaker, schedule.id))["status"] == "IN_REGULARISATION"


async def test_an_unknown_regularisation_outcome_is_settled_by_the_job(app, gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    before = await plan_state(sessionmaker, schedule.id)
    gateway = ScriptedGateway(lose_answer=True, lookup_down=True)
    use_gateway(app, gateway)

    result = await gql(REGULARISE, regularise_input(schedule, 3), token=jean.token, lang="en")

    errors = result["data"]["regulariseSchedule"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("DEBIT_ALREADY_SCHEDULED", ["input", "scheduleId"])]
    assert errors[0]["message"].startswith("A payment for this plan is being confirmed with your bank.")
    pending = await plan_state(sessionmaker, schedule.id)
    assert (pending["parts"], pending["attempts"], pending["debits"]) == (before["parts"], ["PENDING"], 0)
    other = await gql(REGULARISE, regularise_input(schedule, 1, key="key-2"), token=jean.token)
    assert other["data"]["regulariseSchedule"]["errors"][0]["code"] == "DEBIT_ALREADY_SCHEDULED"
    assert len(gateway.calls) == 1

    gateway.lookup_down = False
    report = await reconcile_card_payments(sessionmaker, gateway=gateway, now=AFTER_GRACE)

    assert report.settled == 1
    after = await plan_state(sessionmaker, schedule.id)
    assert after["status"] == "IN_REGULARISATION"
    assert after["attempts"] == ["SUCCEEDED"]
    assert after["debits"] == 1
    assert after["parts"][3:] == [
        (4, "REGULARISATION", "PAID"),
        (5, "REGULARISATION", "PENDING"),
        (6, "REGULARISATION", "PENDING"),
    ]
    async with sessionmaker() as session:
        due = (
            await session.execute(
                select(Installment.due_date).where(Installment.schedule_id == schedule.id, Installment.number >= 4)
            )
        ).scalars()
        assert [d.isoformat() for d in due] == ["2026-11-25", "2026-12-25", "2027-01-24"]  # from the request's day
    assert [p[1] for p in await payments(sessionmaker)] == ["SUCCEEDED"]
    replay = await gql(REGULARISE, regularise_input(schedule, 3), token=jean.token, lang="en")
    assert replay["data"]["regulariseSchedule"]["succeeded"] is True


async def test_a_regularisation_never_charged_fails_and_frees_the_plan(app, gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    before = await plan_state(sessionmaker, schedule.id)
    gateway = ScriptedGateway(down=True)
    use_gateway(app, gateway)
    await gql(REGULARISE, regularise_input(schedule, 1), token=jean.token)

    report = await reconcile_card_payments(sessionmaker, gateway=gateway, now=AFTER_GRACE)

    assert report.settled == 1
    after = await plan_state(sessionmaker, schedule.id)
    assert (after["parts"], after["attempts"], after["status"]) == (before["parts"], ["FAILED"], "UNPAID")
    assert [p[1:3] for p in await payments(sessionmaker)] == [("FAILED", "provider_error")]
    gateway.down = False
    again = await gql(REGULARISE, regularise_input(schedule, 1, key="key-2"), token=jean.token)
    assert again["data"]["regulariseSchedule"]["succeeded"] is True


async def test_a_regularisation_twin_waits_and_is_charged_once(app, gql, sessionmaker, monkeypatch) -> None:
    from guichet.domain.schedules import services

    jean, schedule = await unpaid_plan(sessionmaker)
    twin_waiting = asyncio.Event()
    waits = spy(monkeypatch, services, "_await_outcome", twin_waiting)
    hook, twins = twin_during_charge(
        lambda: gql(REGULARISE, regularise_input(schedule, 2), token=jean.token), twin_waiting
    )
    gateway = ScriptedGateway(while_charging=hook)
    use_gateway(app, gateway)

    first = await gql(REGULARISE, regularise_input(schedule, 2), token=jean.token)
    second = await twins[0]

    assert first["data"]["regulariseSchedule"]["succeeded"] is True
    assert second["data"]["regulariseSchedule"] == first["data"]["regulariseSchedule"]
    assert len(gateway.calls) == 1
    assert len(waits) == 1
    assert (await plan_state(sessionmaker, schedule.id))["debits"] == 1
