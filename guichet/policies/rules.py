"""Pure policy vocabulary: subject and domain names, value validation, and a contact's rules.

Guards what reaches the enforcer: every value is checked against a strict pattern before it
becomes a policy value (SEC-31: a comma or newline would split into an injected rule when the
adapter reloads it), and the rules of one contact are derived from its rows here, in one place.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path


class Role(StrEnum):
    """A contact's role; each role opens modules (the ACCESS.md table)."""

    FINANCE = "FINANCE"
    COMMERCIAL = "COMMERCIAL"
    MANAGEMENT = "MANAGEMENT"
    ADMIN = "ADMIN"


class Module(StrEnum):
    """A module of the portal that access rules open or close."""

    INVOICES = "INVOICES"
    PAYMENTS = "PAYMENTS"
    SCHEDULES = "SCHEDULES"
    BILLING_PROFILE = "BILLING_PROFILE"
    CONTRACTS = "CONTRACTS"
    ORDERS = "ORDERS"
    SERVICE_REQUESTS = "SERVICE_REQUESTS"
    SHOP = "SHOP"
    REWARDS = "REWARDS"
    MEMBERS = "MEMBERS"
    REPORTS = "REPORTS"
    AUDIT = "AUDIT"
    INTEGRATIONS = "INTEGRATIONS"


class Action(StrEnum):
    """What may be done in a module."""

    READ = "READ"
    WRITE = "WRITE"
    PAY = "PAY"
    EXPORT = "EXPORT"
    APPROVE = "APPROVE"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)
MODULES: tuple[str, ...] = tuple(m.value for m in Module)
ACTIONS: tuple[str, ...] = tuple(a.value for a in Action)
EFFECTS = ("allow", "deny")
TEMPLATE_DOMAIN = "*"
MODEL_PATH = Path(__file__).parent / "model.conf"
DEFAULT_POLICY = Path(__file__).parent / "default_policy.csv"

_VALUE = re.compile(r"^[A-Za-z0-9_:/.*-]{1,64}$")
_DOMAIN = re.compile(r"^org:[1-9][0-9]{0,17}$")

# ("g", sub, role, dom) or ("p", sub, dom, obj, act, eft)
Rule = tuple[str, ...]


class PolicyValueError(ValueError):
    """A value that may not become part of a policy rule (wrong shape, separators, unknown name)."""


def check_value(value: str) -> str:
    """Return `value` when it is a safe policy token; raise PolicyValueError otherwise."""
    if not isinstance(value, str) or not _VALUE.fullmatch(value):
        raise PolicyValueError(f"refused policy value {value!r}")
    return value


def domain(organisation_id: int) -> str:
    value = f"org:{int(organisation_id)}"
    if not _DOMAIN.fullmatch(value):
        raise PolicyValueError(f"refused organisation id {organisation_id!r}")
    return value


def contact_subject(contact_id: int) -> str:
    return f"c:{int(contact_id)}"


def scoped_subject(contact_id: int, billing_account_id: int) -> str:
    return f"c:{int(contact_id)}/ba:{int(billing_account_id)}"


CONTACT_KIND = "c"
KEY_KIND = "k"  # an API key: one more principal of its organisation (ACCESS.md rule 14)
PRINCIPAL_KINDS = (CONTACT_KIND, KEY_KIND)


def key_subject(api_key_id: int) -> str:
    return f"k:{int(api_key_id)}"


def role_subject(role: str) -> str:
    if role not in ROLES:
        raise PolicyValueError(f"unknown role {role!r}")
    return f"role:{role}"


def grant_subject(module: str, action: str) -> str:
    if module not in MODULES or action not in ACTIONS:
        raise PolicyValueError(f"unknown permission {module} {action}")
    return f"grant:{module}:{action}"


def denial_subject(module: str, action: str) -> str:
    if module not in MODULES or action not in ACTIONS:
        raise PolicyValueError(f"unknown permission {module} {action}")
    return f"deny:{module}:{action}"


TEMPLATE_PREFIXES = ("role:", "grant:", "deny:")


def check_rule(rule: Rule) -> Rule:
    """Validate one rule's arity and values (SEC-19/31): a malformed rule is refused, never skipped."""
    if rule and rule[0] == "g" and len(rule) == 4:
        pass
    elif rule and rule[0] == "p" and len(rule) == 6:
        if rule[3] not in MODULES or rule[4] not in ACTIONS or rule[5] not in EFFECTS:
            raise PolicyValueError(f"malformed policy rule {rule!r}")
    else:
        raise PolicyValueError(f"malformed policy rule {rule!r}")
    for value in rule[1:]:
        check_value(value)
    return rule


@dataclass(frozen=True)
class ContactAccess:
    """What the database says about one principal's access (its rows), before Casbin compiles it.

    A principal is a contact (kind "c") or an API key (kind "k", `contact_id` then holds the key's
    id): the same rules, decisions and propagation for both. A key holds no role; its permissions
    are grants, over the organisation (`grants`) or over one billing account (`account_grants`).
    """

    contact_id: int
    organisation_id: int
    active: bool
    is_primary_admin: bool
    roles: frozenset[tuple[str, int | None]]  # (role, billing account id or None)
    grants: frozenset[tuple[str, str]]  # (module, action)
    denials: frozenset[tuple[str, str]]
    kind: str = CONTACT_KIND
    account_grants: frozenset[tuple[str, str, int]] = frozenset()  # (module, action, billing account id)

    @property
    def principal(self) -> tuple[str, int]:
        return (self.kind, self.contact_id)

    @property
    def subject(self) -> str:
        """The Casbin subject over the whole organisation: c:<id> or k:<id>."""
        if self.kind not in PRINCIPAL_KINDS:
            raise PolicyValueError(f"unknown principal kind {self.kind!r}")
        return f"{self.kind}:{int(self.contact_id)}"

    def scoped(self, billing_account_id: int) -> str:
        """The subject holding what is limited to one billing account."""
        return f"{self.subject}/ba:{int(billing_account_id)}"

    def scoped_accounts(self) -> set[int]:
        """Billing accounts some of this principal's rights are limited to."""
        accounts = {a for _, a in self.effective_roles() if a is not None}
        return accounts | {a for _, _, a in self.account_grants}

    def effective_roles(self) -> frozenset[tuple[str, int | None]]:
        """The primary admin holds every role over the whole organisation (ACCESS.md rule 3)."""
        if self.is_primary_admin:
            return frozenset((role, None) for role in ROLES)
        return self.roles


@lru_cache(maxsize=65536)
def contact_rules(access: ContactAccess) -> frozenset[Rule]:
    """The Casbin rules of one contact: none unless ACTIVE; roles, scoped roles, grants, denials.

    Memoised by value (ContactAccess is frozen): unchanged rows cost a dictionary lookup.
    """
    if not access.active:
        return frozenset()
    dom = domain(access.organisation_id)
    me = access.subject
    rules: set[Rule] = set()
    for role, account_id in access.effective_roles():
        if account_id is None:
            rules.add(("g", me, role_subject(role), dom))
        else:
            scoped = access.scoped(account_id)
            rules.add(("g", scoped, role_subject(role), dom))
            # The scoped holder inherits the contact's own rules, so its denials reach every scope.
            rules.add(("g", scoped, me, dom))
    # Grants and denials are links to shared one-permission templates (grant:M:A / deny:M:A), so
    # the p rules stay a fixed handful per (module, action) whatever the number of contacts.
    for module, action in access.grants:
        rules.add(("g", me, grant_subject(module, action), dom))
    for module, action in access.denials:
        rules.add(("g", me, denial_subject(module, action), dom))
    for module, action, account_id in access.account_grants:
        rules.add(("g", access.scoped(account_id), grant_subject(module, action), dom))
    return frozenset(check_rule(r) for r in rules)


def parse_policy_lines(lines: Iterable[str]) -> list[Rule]:
    """Rules of a policy file (comments and blank lines skipped); every row validated."""
    rules: list[Rule] = []
    for row in csv.reader(line for line in lines if line.strip() and not line.lstrip().startswith("#")):
        rules.append(check_rule(tuple(cell.strip() for cell in row)))
    return rules


@cache
def default_templates() -> tuple[Rule, ...]:
    """The default policy file's rules (the ACCESS.md table)."""
    with DEFAULT_POLICY.open() as handle:
        return tuple(parse_policy_lines(handle))


def template_table(rules: Iterable[Rule]) -> dict[str, set[tuple[str, str]]]:
    """role -> {(module, action)} allowed by template rules (domain "*", effect allow)."""
    table: dict[str, set[tuple[str, str]]] = {}
    for rule in rules:
        if rule[0] == "p" and rule[2] == TEMPLATE_DOMAIN and rule[5] == "allow" and rule[1].startswith("role:"):
            table.setdefault(rule[1].removeprefix("role:"), set()).add((rule[3], rule[4]))
    return table
