"""The process-wide Casbin enforcer and the few operations Guichet performs on it.

Guards every decision: a FastEnforcer over model.conf, holding the role templates (loaded from
casbin_rule through the SQLAlchemy adapter) and the compiled rules of the contacts this process
has seen. A contact's rules are replaced incrementally (add/remove of its own rules), never by a
full load_policy(). Any exception while deciding denies and logs at CRITICAL (SEC-19).

Decisions are memoised for the process (a Casbin evaluation re-parses and re-walks the matcher:
~0.3 ms). The memo is only valid for one `version` of the rules: every change made through the
engine (a sync or forget that changes a contact's rules, a template reload that changes a
template) bumps the version and empties the memo *before* the next decision, so a revocation
synced on a request is never answered from a stale memo. Failed evaluations are never memoised.
The enforcer must therefore only be changed through this class (or call invalidate() after).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import casbin

from guichet.policies.rules import (
    MODEL_PATH,
    TEMPLATE_DOMAIN,
    TEMPLATE_PREFIXES,
    ContactAccess,
    Rule,
    check_rule,
    contact_rules,
    domain,
    template_table,
)

log = logging.getLogger("guichet.policies")


@dataclass(frozen=True)
class AccountScope:
    """The billing accounts a permission reaches: all of them, or these."""

    all_accounts: bool
    account_ids: frozenset[int]

    def allows(self, billing_account_id: int) -> bool:
        return self.all_accounts or billing_account_id in self.account_ids

    @property
    def empty(self) -> bool:
        return not self.all_accounts and not self.account_ids

    @property
    def account_filter(self) -> frozenset[int] | None:
        """The accounts to filter a query by; None: every account of the organisation."""
        return None if self.all_accounts else self.account_ids


NO_SCOPE = AccountScope(False, frozenset())
ALL_ACCOUNTS = AccountScope(True, frozenset())


def intersection(a: AccountScope, b: AccountScope) -> AccountScope:
    """The accounts both scopes reach."""
    if a.all_accounts and b.all_accounts:
        return ALL_ACCOUNTS
    if a.all_accounts:
        return b
    if b.all_accounts:
        return a
    return AccountScope(False, a.account_ids & b.account_ids)


def organisation_wide(scope: AccountScope) -> bool:
    """Whether the scope reaches what belongs to no billing account (instalment plans, say).

    Only a permission held over the whole organisation does: a role limited to some billing
    accounts reaches none of the organisation's account-less objects.
    """
    return scope.all_accounts


# Bound of the decision memo: when full it is emptied (cheap, and a miss only costs one evaluation).
# 48 (module, action) pairs x a few subjects per contact: ~1,000 busy contacts between changes.
DECISION_MEMO_LIMIT = 65_536


def new_enforcer() -> casbin.FastEnforcer:
    """A FastEnforcer indexing p rules by (module, action), with no adapter attached.

    Persistence is explicit (templates through the adapter, contact rules from their tables),
    so nothing the enforcer does on its own can write a policy row or notify anyone.
    """
    enforcer = casbin.FastEnforcer(str(MODEL_PATH), cache_key_order=[2, 3])
    enforcer.enable_auto_save(False)
    return enforcer


class PolicyEngine:
    """One enforcer for the app's lifetime: templates + the rules of contacts seen so far."""

    def __init__(self, templates: Iterable[Rule] = ()) -> None:
        self.enforcer = new_enforcer()
        # Rules held per principal: ("c", contact id) or ("k", API key id).
        self._held: dict[tuple[str, int], frozenset[Rule]] = {}
        self._templates: frozenset[Rule] = frozenset()
        self._decisions: dict[tuple[str, int, str, str], bool] = {}
        self.version = 0  # bumped by every change of the rules held (empties the decision memo)
        self.evaluations = 0  # enforce() calls, for tests and the benchmark
        self.casbin_evaluations = 0  # of which answered by Casbin (memo misses)
        self.replace_templates(templates)

    # -- templates -------------------------------------------------------------------------
    def replace_templates(self, templates: Iterable[Rule]) -> None:
        """Make the role templates exactly `templates` (each validated: a bad row raises)."""
        wanted = frozenset(check_rule(tuple(r)) for r in templates)
        for rule in wanted:
            if rule[0] != "p" or rule[2] != TEMPLATE_DOMAIN or not rule[1].startswith(TEMPLATE_PREFIXES):
                raise ValueError(f"not a role template: {rule!r}")
        self._apply(remove=self._templates - wanted, add=wanted - self._templates)
        self._templates = wanted

    def template_table(self) -> dict[str, set[tuple[str, str]]]:
        return template_table(self._templates)

    # -- contacts --------------------------------------------------------------------------
    def sync(self, access: ContactAccess) -> bool:
        """Make the enforcer hold exactly this principal's rules; return whether anything changed."""
        wanted = contact_rules(access)
        held = self._held.get(access.principal, frozenset())
        if wanted == held:
            self._held[access.principal] = wanted
            return False
        self._apply(remove=held - wanted, add=wanted - held)
        self._held[access.principal] = wanted
        return True

    def forget(self, contact_id: int, kind: str = "c") -> None:
        """Drop a principal's rules (it is re-read from the database before its next decision)."""
        held = self._held.pop((kind, contact_id), frozenset())
        self._apply(remove=held, add=frozenset())

    def held_contacts(self) -> list[int]:
        return [i for kind, i in self._held if kind == "c"]

    def held_keys(self) -> list[int]:
        return [i for kind, i in self._held if kind == "k"]

    def holds(self, contact_id: int, kind: str = "c") -> frozenset[Rule] | None:
        return self._held.get((kind, contact_id))

    def invalidate(self) -> None:
        """Forget every memoised decision (any change of the rules held must call this)."""
        self.version += 1
        self._decisions.clear()

    def _apply(self, *, remove: frozenset[Rule], add: frozenset[Rule]) -> None:
        """Add and remove rules incrementally, then invalidate the decision memo if anything moved.

        Role links go straight to the role manager, which keeps them per organisation: pycasbin's
        model keeps g rules in one flat list scanned on every add/remove (O(all contacts)), and
        this engine never reloads from that list (`_held` is the record of what it holds).
        The memo is emptied even when a change fails half-way (the enforcer may be half-changed).
        """
        if not remove and not add:
            return
        links = self.enforcer.get_role_manager()
        try:
            for rule in remove:
                if rule[0] == "g":
                    links.delete_link(rule[1], rule[2], rule[3])
                else:
                    self.enforcer.remove_named_policy("p", *rule[1:])
            for rule in add:
                if rule[0] == "g":
                    links.add_link(rule[1], rule[2], rule[3])
                else:
                    self.enforcer.add_named_policy("p", *rule[1:])
        finally:
            self.invalidate()

    # -- decisions -------------------------------------------------------------------------
    def enforce(self, subject: str, organisation_id: int, module: str, action: str) -> bool:
        """One decision: memoised for the current rules version, otherwise one Casbin evaluation.

        Any failure denies (fail closed), is logged as critical and is not memoised (the next
        decision evaluates, and alerts, again).
        """
        self.evaluations += 1
        key = (subject, organisation_id, module, action)
        decided = self._decisions.get(key)
        if decided is not None:
            return decided
        self.casbin_evaluations += 1
        try:
            decided = bool(self.enforcer.enforce(subject, domain(organisation_id), module, action))
        except Exception:
            log.critical("policy evaluation failed; denying %s %s for %s", module, action, subject, exc_info=True)
            return False
        if len(self._decisions) >= DECISION_MEMO_LIMIT:
            self._decisions.clear()
        self._decisions[key] = decided
        return decided

    def scope(self, access: ContactAccess, module: str, action: str) -> AccountScope:
        """Where this contact may do `action` on `module`: the whole organisation, some accounts, nowhere.

        One evaluation for the organisation-wide subject; only when that is refused, one per
        billing account the contact holds a scoped role over (a constant per contact, never
        per row of a page).
        """
        self.sync(access)
        if not access.active:
            return NO_SCOPE
        if self.enforce(access.subject, access.organisation_id, module, action):
            return ALL_ACCOUNTS
        accounts = sorted(access.scoped_accounts())
        allowed = frozenset(
            a for a in accounts if self.enforce(access.scoped(a), access.organisation_id, module, action)
        )
        return AccountScope(False, allowed) if allowed else NO_SCOPE

    def effective_permissions(self, access: ContactAccess) -> set[tuple[str, str]]:
        """(module, action) pairs the contact may use somewhere: roles' templates + grants - denials.

        Display only (Contact.permissions); the same algebra as the model, checked against
        enforce() by tests/unit/test_policy_engine.py.
        """
        if not access.active:
            return set()
        table = self.template_table()
        pairs: set[tuple[str, str]] = set()
        for role, _account in access.effective_roles():
            pairs |= table.get(role, set())
        pairs |= set(access.grants)
        pairs |= {(m, a) for m, a, _ in access.account_grants}
        return pairs - set(access.denials)
