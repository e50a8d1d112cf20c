"""The demo data set: `guichet serve --demo` loads it into an empty database.

It is built as a back-office feed and goes through the same importer as `guichet import`, so the
demo exercises the real path. Then the demo logins get their password and become ACTIVE.
Invoices are dated relative to today, so the demo always shows open, overdue and paid ones.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update

from guichet.domain.contracts.demo import demo_contracts
from guichet.domain.rewards.demo import demo_rewards, mark_eligible
from guichet.domain.schedules.demo import demo_schedules
from guichet.settings import Settings

DEMO_PASSWORD = "Guichet#2026"  # demo only: printed in README and at start-up
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("admin@acme.example", "ACME Côte d'Ivoire: primary admin"),
    ("finance@acme.example", "ACME Côte d'Ivoire: FINANCE"),
    ("commercial@acme.example", "ACME Côte d'Ivoire: COMMERCIAL"),
    ("direction@acme.example", "ACME Côte d'Ivoire: MANAGEMENT"),
    ("admin@globex.example", "Globex SA: primary admin"),
    ("jean.dupont@example.fr", "Jean Dupont (individual customer): primary admin"),
)
JEAN_REF = "client-jean-dupont"

# Monthly price lists, in XOF (no decimals) and EUR cents as decimal strings.
ACME_PLANS = {
    "MOBILE": [
        ("Forfait Business 5 Go", 15000),
        ("Forfait Business 20 Go", 25000),
        ("Forfait Business Illimité", 45000),
    ],
    "FIXED": [("Abonnement ligne fixe pro", 12500)],
    "INTERNET": [("Fibre Pro 100 Mb/s", 55000), ("Fibre Pro 300 Mb/s", 89000)],
}


def _months_back(today: date, count: int) -> list[date]:
    """The first day of the last `count` months, oldest first, ending with the current month."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(firsts))


def _period(issue: date) -> tuple[date, date]:
    """The month before `issue`: what an invoice issued on the 1st bills."""
    end = issue - timedelta(days=1)
    return end.replace(day=1), end


def _xof(amount: int) -> str:
    return str(amount)


def _eur(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _acme(today: date, rng: random.Random) -> dict[str, Any]:
    accounts = [
        ("BA-1001", "Siège Abidjan Plateau", {"MOBILE": 8, "FIXED": 3, "INTERNET": 2}),
        ("BA-1002", "Agence Bouaké", {"MOBILE": 6, "FIXED": 2, "INTERNET": 1}),
        ("BA-1003", "Agence San-Pédro", {"MOBILE": 5, "FIXED": 2, "INTERNET": 1}),
    ]
    billing_accounts = []
    fleet: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    serial = 0
    for number, name, counts in accounts:
        lines = []
        for service, count in counts.items():
            for _ in range(count):
                serial += 1
                if service == "MOBILE":
                    line_number = f"+22507{rng.randint(10, 99)}{serial:06d}"
                elif service == "FIXED":
                    line_number = f"+22527{rng.randint(20, 24)}{serial:06d}"
                else:
                    line_number = f"FTTH-CI-{100000 + serial * 37}"
                plan, price = rng.choice(ACME_PLANS[service])
                lines.append({"number": line_number, "serviceType": service})
                fleet.setdefault((number, service), []).append((line_number, plan, price))
        billing_accounts.append(
            {
                "number": number,
                "name": name,
                "lines": lines,
                "legalName": "ACME Côte d'Ivoire SA",
                "address": {"line1": "Rue des Jardins", "city": name.split()[-1], "country": "CI"},
                "billingContacts": [
                    {"purposes": ["BILL_TO", "DUNNING"], "name": "Service comptable", "email": "factures@acme.example"},
                    {"purposes": ["ACCOUNT"], "name": "Yao Kouassi", "email": "finance@acme.example"},
                ],
            }
        )

    invoices = []
    months = _months_back(today, 12)
    sequence = 0
    for index, issue in enumerate(months):
        for (account, service), lines in sorted(fleet.items()):
            sequence += 1
            period_start, period_end = _period(issue)
            due = issue + timedelta(days=30)
            invoice_lines = []
            for line_number, plan, price in lines:
                invoice_lines.append({"description": plan, "lineNumber": line_number, "amount": _xof(price)})
                if service != "INTERNET" and rng.random() < 0.35:
                    extra = rng.randrange(500, 12000, 100)
                    label = (
                        "Hors forfait: appels internationaux" if service == "MOBILE" else "Communications vers mobiles"
                    )
                    invoice_lines.append({"description": label, "lineNumber": line_number, "amount": _xof(extra)})
            total = sum(int(line["amount"]) for line in invoice_lines)
            record: dict[str, Any] = {
                "number": f"F-{issue.year}-{sequence:06d}",
                "billingAccount": account,
                "serviceType": service,
                "issueDate": issue.isoformat(),
                "dueDate": due.isoformat(),
                "periodStart": period_start.isoformat(),
                "periodEnd": period_end.isoformat(),
                "lines": invoice_lines,
            }
            months_old = len(months) - 1 - index
            if due < today:
                # Past due: mostly paid; some left unpaid (overdue), one partly paid.
                if months_old >= 4 or rng.random() < 0.4:
                    record["amountPaid"] = _xof(total)
                elif rng.random() < 0.3:
                    record["amountPaid"] = _xof(total // 2 // 100 * 100)
            invoices.append(record)

    return {
        "ref": "acme",
        "name": "ACME Côte d'Ivoire",
        "kind": "BUSINESS",
        "taxpayerNumber": "CI-0123456-A",
        "currency": "XOF",
        "billingAccounts": billing_accounts,
        "contacts": [
            {
                "email": "admin@acme.example",
                "firstName": "Awa",
                "lastName": "Koné",
                "primaryAdmin": True,
                "roles": [{"role": "ADMIN"}],
            },
            {
                "email": "finance@acme.example",
                "firstName": "Yao",
                "lastName": "Kouassi",
                "roles": [{"role": "FINANCE"}],
            },
            {
                "email": "commercial@acme.example",
                "firstName": "Mariam",
                "lastName": "Traoré",
                "roles": [{"role": "COMMERCIAL"}],
            },
            {
                "email": "direction@acme.example",
                "firstName": "Ibrahim",
                "lastName": "Ouattara",
                "roles": [{"role": "MANAGEMENT"}],
            },
            # Left INVITED: shows a first connection (requestFirstConnection) and a scoped role.
            {
                "email": "compta.bouake@acme.example",
                "firstName": "Fatou",
                "lastName": "Bamba",
                "roles": [{"role": "FINANCE", "billingAccount": "BA-1002"}],
            },
        ],
        "invoices": invoices,
    }


def _globex(today: date, rng: random.Random) -> dict[str, Any]:
    plans = {"MOBILE": ("Forfait Pro 50 Go", 2999), "FIXED": ("Ligne fixe pro", 1990), "INTERNET": ("Fibre Pro", 4990)}
    fleet = {
        "BA-2001": [("+33611000001", "MOBILE"), ("+33611000002", "MOBILE"), ("+33140000001", "FIXED")],
        "BA-2002": [("+33611000003", "MOBILE"), ("FTTH-FR-2002001", "INTERNET")],
    }
    billing_accounts = [
        {
            "number": "BA-2001",
            "name": "Globex Paris",
            "lines": [{"number": n, "serviceType": s} for n, s in fleet["BA-2001"]],
        },
        {
            "number": "BA-2002",
            "name": "Globex Lyon",
            "lines": [{"number": n, "serviceType": s} for n, s in fleet["BA-2002"]],
        },
    ]
    invoices = []
    sequence = 0
    for issue in _months_back(today, 4):
        for account, lines in fleet.items():
            for service in sorted({s for _, s in lines}):
                sequence += 1
                due = issue + timedelta(days=30)
                period_start, period_end = _period(issue)
                plan, cents = plans[service]
                invoice_lines = [
                    {"description": plan, "lineNumber": n, "amount": _eur(cents)} for n, s in lines if s == service
                ]
                total = sum(cents for _, s in lines if s == service)
                record: dict[str, Any] = {
                    "number": f"GX-{issue.year}-{sequence:05d}",
                    "billingAccount": account,
                    "serviceType": service,
                    "issueDate": issue.isoformat(),
                    "dueDate": due.isoformat(),
                    "periodStart": period_start.isoformat(),
                    "periodEnd": period_end.isoformat(),
                    "lines": invoice_lines,
                }
                if due < today and rng.random() < 0.75:
                    record["amountPaid"] = _eur(total)
                invoices.append(record)
    return {
        "ref": "globex",
        "name": "Globex SA",
        "kind": "BUSINESS",
        "taxpayerNumber": "FR40552100554",
        "currency": "EUR",
        "billingAccounts": billing_accounts,
        "contacts": [
            {
                "email": "admin@globex.example",
                "firstName": "Claire",
                "lastName": "Martin",
                "primaryAdmin": True,
                "roles": [{"role": "ADMIN"}],
            }
        ],
        "invoices": invoices,
    }


def _jean(today: date) -> dict[str, Any]:
    invoices = []
    for sequence, issue in enumerate(_months_back(today, 3), start=1):
        period_start, period_end = _period(issue)
        due = issue + timedelta(days=30)
        record: dict[str, Any] = {
            "number": f"JD-{issue.year}-{sequence:05d}",
            "billingAccount": "BA-7001",
            "serviceType": "MOBILE",
            "issueDate": issue.isoformat(),
            "dueDate": due.isoformat(),
            "periodStart": period_start.isoformat(),
            "periodEnd": period_end.isoformat(),
            "lines": [
                {"description": "Forfait 100 Go", "lineNumber": "+33612345678", "amount": "19.99"},
                {"description": "Option international", "lineNumber": "+33612345678", "amount": "5.00"},
            ],
        }
        if sequence == 1:
            record["amountPaid"] = "24.99"
        invoices.append(record)
    organisation: dict[str, Any] = {
        "ref": JEAN_REF,
        "name": "Jean Dupont",
        "kind": "INDIVIDUAL",
        "currency": "EUR",
        "billingAccounts": [
            {
                "number": "BA-7001",
                "name": "Jean Dupont: mobile",
                "lines": [{"number": "+33612345678", "serviceType": "MOBILE"}],
            }
        ],
        "contacts": [
            {"email": "jean.dupont@example.fr", "firstName": "Jean", "lastName": "Dupont", "primaryAdmin": True}
        ],
        "invoices": invoices,
    }
    organisation["schedules"] = list(demo_schedules())
    return organisation


def build_demo_feed(today: date) -> dict[str, Any]:
    """The demo as a back-office feed document; deterministic for a given `today`."""
    rng = random.Random(2026)
    acme = _acme(today, rng)
    acme["contracts"] = demo_contracts(today, acme["billingAccounts"])
    acme["rewards"] = demo_rewards(today, acme["currency"])
    mark_eligible(acme["invoices"], today)
    return {"organisations": [acme, _globex(today, rng), _jean(today)]}


async def load_demo(settings: Settings, *, today: date | None = None) -> bool:
    """Load the demo into the migrated database unless it holds an organisation; return whether it did.

    Raise FeedError if the demo feed itself is refused (a bug: the demo tests catch it).
    """
    from guichet.db import create_engine, session_factory
    from guichet.domain import models
    from guichet.domain.billing_profiles.demo import seed_billing_demo
    from guichet.domain.clock import SystemClock
    from guichet.domain.feed.importer import import_feed
    from guichet.domain.feed.parse import parse_feed
    from guichet.domain.passwords import PasswordHashing
    from guichet.domain.service_requests.demo import seed_demo_requests

    clock = SystemClock()
    now = clock.now()
    feed = parse_feed(build_demo_feed(today or clock.today()))
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            if await session.scalar(select(func.count()).select_from(models.Organisation)):
                return False
            await import_feed(session, feed, now=now)
            await seed_demo_requests(session, files_dir=settings.files_dir, now=now)
            await seed_billing_demo(session, now=now, today=today or clock.today())
            hashing = PasswordHashing(settings.password_hash_profile)
            people = (
                await session.scalars(select(models.Person).where(models.Person.email.in_([e for e, _ in DEMO_LOGINS])))
            ).all()
            for person in people:  # one salt each: equal passwords must not show as equal hashes
                person.password_hash = await asyncio.to_thread(hashing.hash, DEMO_PASSWORD)
                person.password_changed_at = now
            await session.execute(
                update(models.Contact)
                .where(models.Contact.person_id.in_([p.id for p in people]))
                .values(status="ACTIVE")
            )
        return True
    finally:
        await engine.dispose()


def prepare_demo(settings: Settings) -> None:
    """Migrate, then load the demo data set when the database is empty (outside any event loop)."""
    from guichet.migrate import upgrade

    upgrade(settings.database_url)
    if asyncio.run(load_demo(settings)):
        print("Demo data loaded. Demo logins (demo only), password " + DEMO_PASSWORD + ":")
        for email, what in DEMO_LOGINS:
            print(f"  {email:<28} {what}")
    else:
        print("Database already holds organisations: demo data not loaded.")
