"""The floor: a bare Starlette endpoint answering the dashboard query's JSON from one SQL statement.

No GraphQL, no authentication, no ORM: it reads `variables.id`, lets PostgreSQL build the whole
response (the same JSON Guichet returns for bench.common.DASHBOARD_QUERY) and returns its text.
What Guichet does on top of this is what the benchmark measures.

    uvicorn bench.floor_app:app --workers 2
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.common import database_url


def _gid(type_name: str, column: str) -> str:
    """SQL for guichet.domain.ids.to_global_id."""
    return f"rtrim(translate(encode(convert_to('{type_name}:' || {column}, 'UTF8'), 'base64'), '+/', '-_'), '=')"


def _money(column: str, currency: str) -> str:
    # The data set is in XOF (no decimals): the amount is the integer itself.
    return f"json_build_object('amount', ({column})::text, 'currency', {currency})"


STATUS = (
    "CASE WHEN p.amount_paid_minor >= p.total_minor THEN 'PAID' "
    "WHEN p.due_date < (now() AT TIME ZONE 'UTC')::date THEN 'OVERDUE' ELSE 'OPEN' END"
)

SQL = f"""
WITH page AS (
  SELECT * FROM invoices WHERE organisation_id = $1 ORDER BY due_date, id LIMIT 50
)
SELECT json_build_object('data', json_build_object('organisation', json_build_object('invoices', json_build_object(
  'totalCount', (SELECT count(*) FROM invoices WHERE organisation_id = $1),
  'edges', COALESCE((SELECT json_agg(json_build_object('node', json_build_object(
      'id', {_gid("Invoice", "p.id")},
      'number', p.number,
      'status', {STATUS},
      'issueDate', p.issue_date,
      'dueDate', p.due_date,
      'total', {_money("p.total_minor", "p.currency")},
      'amountPaid', {_money("p.amount_paid_minor", "p.currency")},
      'amountDue', {_money("greatest(p.total_minor - p.amount_paid_minor, 0)", "p.currency")},
      'billingAccount', (SELECT json_build_object('number', b.number, 'name', b.name)
                         FROM billing_accounts b WHERE b.id = p.billing_account_id),
      'lines', COALESCE((SELECT json_agg(json_build_object(
                  'lineNumber', l.line_number, 'description', l.description,
                  'amount', {_money("l.amount_minor", "p.currency")}) ORDER BY l.position, l.id)
                FROM invoice_lines l WHERE l.invoice_id = p.id), '[]'),
      'payments', COALESCE((SELECT json_agg(json_build_object(
                  'reference', y.reference, 'status', y.status,
                  'amount', {_money("y.amount_minor", "y.currency")}) ORDER BY y.id DESC)
                FROM payment_invoices pi JOIN payments y ON y.id = pi.payment_id
                WHERE pi.invoice_id = p.id), '[]')
  )) ORDER BY p.due_date, p.id) FROM page p), '[]')
))))::text
"""

POOL: dict[str, asyncpg.Pool] = {}


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    POOL["pool"] = await asyncpg.create_pool(database_url("postgresql"), min_size=10, max_size=10)
    try:
        yield
    finally:
        await POOL["pool"].close()


def organisation_pk(global_id: str) -> int:
    padded = global_id + "=" * (-len(global_id) % 4)
    type_name, _, pk = base64.urlsafe_b64decode(padded).decode().partition(":")
    if type_name != "Organisation":
        raise ValueError(global_id)
    return int(pk)


async def dashboard(request: Request) -> Response:
    body = json.loads(await request.body())
    pk = organisation_pk(body["variables"]["id"])
    async with POOL["pool"].acquire() as connection:
        text = await connection.fetchval(SQL, pk)
    return Response(text, media_type="application/json")


app = Starlette(routes=[Route("/graphql", dashboard, methods=["POST"])], lifespan=lifespan)
