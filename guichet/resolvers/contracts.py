"""Resolvers of contracts and their billing schedule: decided scope in, rows and Pages out.

Access: CONTRACTS READ lists (the billing accounts its scope reaches, ACCESS.md rule 10);
CONTRACTS READ plus EXPORT mints file links (rule 13). A contract or entry outside the scope,
or of another organisation, answers exactly like an unknown ID.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from guichet.domain.contracts import files, queries, rules
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.contracts import Contract, ContractLine
from guichet.policies.authz import AccessDenied, AccountScope, Decision, intersection
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, decode_cursor, encode_cursor, page_size, paginate_by_id

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


@dataclass(frozen=True)
class ContractView:
    """A contract row and whether the viewer may download its files (CONTRACTS EXPORT)."""

    row: Contract
    can_export: bool


async def _export_scope(ctx: Context, organisation_id: int) -> AccountScope:
    read = await ctx.authz.scope(organisation_id, Module.CONTRACTS, Action.READ)
    export = await ctx.authz.scope(organisation_id, Module.CONTRACTS, Action.EXPORT)
    return intersection(read, export)


async def list_contracts(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    criteria: queries.ContractCriteria,
    first: int | None,
    after: str | None,
) -> Page[ContractView]:
    """A page of the organisation's contracts in the decided READ scope, oldest first (two statements)."""
    statement = queries.contracts_statement(
        organisation_id=organisation_id, account_ids=decision.scope.account_filter, criteria=criteria
    )
    async with ctx.read() as session:
        page = await paginate_by_id(session, statement, Contract.id, first=first, after=after)
    export = await _export_scope(ctx, organisation_id)
    views = [ContractView(row, export.allows(row.billing_account_id)) for row in page.items]
    return Page(views, page.cursors, page.has_next, page.has_previous, page.total)


async def contracts_by_pk(ctx: Context, pks: list[int]) -> dict[int, ContractView]:
    """Contracts the viewer may read, by primary key (node / nodes, BillingScheduleEntry.contract)."""
    if not pks or await ctx.viewer() is None:
        return {}
    async with ctx.read() as session:
        rows = (await session.execute(select(Contract).where(Contract.id.in_(pks)))).scalars().all()
    found: dict[int, ContractView] = {}
    for row in rows:
        read = await ctx.authz.scope(row.organisation_id, Module.CONTRACTS, Action.READ)
        if read.allows(row.billing_account_id):
            export = await _export_scope(ctx, row.organisation_id)
            found[row.id] = ContractView(row, export.allows(row.billing_account_id))
    return found


def _entry_cursor(entry: queries.ScheduleEntry) -> str:
    start, number, position, index = entry.sort_key
    return encode_cursor(start.isoformat(), number, position, index)


def _after_key(after: str) -> tuple[str, str, int, int]:
    values = decode_cursor(after, field=["after"])
    if len(values) != 4 or not values[2].isdigit() or not values[3].isdigit():
        raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=["after"])
    return values[0], values[1], int(values[2]), int(values[3])


def _page(entries: list[queries.ScheduleEntry], first: int | None, after: str | None) -> Page[queries.ScheduleEntry]:
    size = page_size(first)
    rest = entries
    if after is not None:
        key = _after_key(after)
        rest = [e for e in entries if (e.sort_key[0].isoformat(), *e.sort_key[1:]) > key]
    items = rest[:size]
    return Page(items, [_entry_cursor(e) for e in items], len(rest) > size, after is not None, len(entries))


async def billing_schedule(
    ctx: Context,
    *,
    organisation_id: int,
    scope: AccountScope,
    criteria: queries.ScheduleCriteria,
    first: int | None,
    after: str | None,
) -> Page[queries.ScheduleEntry]:
    """A page of the schedule entries in `scope`, by invoicing date then contract number (three statements)."""
    page_size(first)
    async with ctx.read() as session:
        entries = await queries.schedule(
            session,
            organisation_id=organisation_id,
            account_ids=scope.account_filter,
            criteria=criteria,
            today=ctx.clock.today(),
        )
    return _page(entries, first, after)


async def contract_schedule(
    ctx: Context, *, contract: Contract, criteria: queries.ScheduleCriteria, first: int | None, after: str | None
) -> Page[queries.ScheduleEntry]:
    """A page of one contract's entries (the contract was already read within the viewer's scope)."""
    narrowed = queries.ScheduleCriteria(
        statuses=criteria.statuses, start=criteria.start, end=criteria.end, contract_id=contract.id
    )
    if criteria.billing_account_id not in (None, contract.billing_account_id):
        return _page([], first, None)
    page_size(first)
    async with ctx.read() as session:
        data = await queries.load_data(session, contract.organisation_id, [contract])
    return _page(queries.entries_of(data, today=ctx.clock.today(), criteria=narrowed), first, after)


async def entries_by_pk(ctx: Context, pks: list[int]) -> dict[int, queries.ScheduleEntry]:
    """Schedule entries the viewer may read, by their packed ID (node / nodes)."""
    if not pks or await ctx.viewer() is None:
        return {}
    wanted: dict[int, set[int]] = defaultdict(set)
    for pk in pks:
        line_id, _ = rules.split_entry_pk(pk)
        wanted[line_id].add(pk)
    async with ctx.read() as session:
        rows = (
            await session.execute(
                select(ContractLine.contract_id, Contract)
                .join(Contract, Contract.id == ContractLine.contract_id)
                .where(ContractLine.id.in_(list(wanted)))
            )
        ).all()
    by_org: dict[int, dict[int, Contract]] = defaultdict(dict)
    for _, contract in rows:
        read = await ctx.authz.scope(contract.organisation_id, Module.CONTRACTS, Action.READ)
        if read.allows(contract.billing_account_id):
            by_org[contract.organisation_id][contract.id] = contract
    found: dict[int, queries.ScheduleEntry] = {}
    async with ctx.read() as session:
        for organisation_id, items in by_org.items():
            data = await queries.load_data(session, organisation_id, list(items.values()))
            for entry in queries.entries_of(data, today=ctx.clock.today(), criteria=queries.ScheduleCriteria()):
                if entry.pk in wanted.get(entry.line.id, set()):
                    found[entry.pk] = entry
    return found


async def schedule_file_url(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    criteria: queries.ScheduleCriteria,
    file_format: str,
) -> str:
    """A signed link to the schedule file of what READ and EXPORT both reach (the decision is EXPORT's)."""
    read = await ctx.authz.scope(organisation_id, Module.CONTRACTS, Action.READ)
    if read.empty:
        raise AccessDenied(Module.CONTRACTS, Action.READ)
    scope = intersection(read, decision.scope)
    account_filter = scope.account_filter
    request = files.FileRequest(
        organisation_id=organisation_id,
        account_ids=tuple(sorted(account_filter)) if account_filter is not None else None,
        criteria=criteria,
        file_format=file_format,
    )
    return files.schedule_url(ctx.settings.public_url, ctx.settings.secret_key, request, ctx.now())


def contract_file_url(ctx: Context, *, view: ContractView, file_format: str) -> str:
    """A signed link to one contract's schedule file; raise AccessDenied without CONTRACTS EXPORT on it."""
    if not view.can_export:
        raise AccessDenied(Module.CONTRACTS, Action.EXPORT)
    request = files.FileRequest(
        organisation_id=view.row.organisation_id,
        account_ids=(view.row.billing_account_id,),
        criteria=queries.ScheduleCriteria(contract_id=view.row.id),
        file_format=file_format,
    )
    return files.schedule_url(ctx.settings.public_url, ctx.settings.secret_key, request, ctx.now())


def contract_document_url(ctx: Context, *, view: ContractView) -> str:
    """A signed link to the contract's PDF summary; raise AccessDenied without CONTRACTS EXPORT on it."""
    if not view.can_export:
        raise AccessDenied(Module.CONTRACTS, Action.EXPORT)
    return files.document_url(
        ctx.settings.public_url, ctx.settings.secret_key, view.row.organisation_id, view.row.id, ctx.now()
    )
