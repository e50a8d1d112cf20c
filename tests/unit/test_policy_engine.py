"""The Casbin model and default policy, pinned by a truth table over every cell of ACCESS.md,
plus the pitfalls of the security checklist (SEC-19, 28..31, 33) as regression tests."""

from __future__ import annotations

import itertools
import logging
import re

import pytest

from guichet.policies.engine import ALL_ACCOUNTS, NO_SCOPE, AccountScope, PolicyEngine
from guichet.policies.rules import (
    ACTIONS,
    MODEL_PATH,
    MODULES,
    ROLES,
    ContactAccess,
    PolicyValueError,
    check_value,
    contact_rules,
    default_templates,
    parse_policy_lines,
    template_table,
)
from tests.api.test_access_matrix import access_table


def access(contact_id: int = 1, org: int = 10, *, roles=(), grants=(), denials=(), primary=False, active=True):  # type: ignore[no-untyped-def]
    return ContactAccess(contact_id, org, active, primary, frozenset(roles), frozenset(grants), frozenset(denials))


@pytest.fixture
def engine() -> PolicyEngine:
    return PolicyEngine(default_templates())


def test_default_policy_file_is_the_access_md_table() -> None:
    assert template_table(default_templates()) == {r: p for r, p in access_table().items() if p}


@pytest.mark.parametrize("role", ROLES)
def test_every_cell_of_the_table_including_dashes_as_denies(engine: PolicyEngine, role: str) -> None:
    table = access_table()
    member = access(roles=[(role, None)])
    for module, action in itertools.product(MODULES, ACTIONS):
        expected = ALL_ACCOUNTS if (module, action) in table[role] else NO_SCOPE
        assert engine.scope(member, module, action) == expected, (role, module, action)


def test_primary_admin_holds_every_role(engine: PolicyEngine) -> None:
    union = set().union(*access_table().values())
    admin = access(primary=True)
    assert {p for p in itertools.product(MODULES, ACTIONS) if engine.scope(admin, *p) == ALL_ACCOUNTS} == union


def test_a_denial_wins_over_a_role_and_over_a_grant(engine: PolicyEngine) -> None:
    member = access(
        roles=[("FINANCE", None), ("FINANCE", 7)], grants=[("INVOICES", "PAY")], denials=[("INVOICES", "PAY")]
    )
    assert engine.scope(member, "INVOICES", "PAY") == NO_SCOPE
    assert engine.scope(member, "INVOICES", "READ") == ALL_ACCOUNTS


def test_a_role_over_one_account_reaches_only_that_account_and_its_denials_still_apply(engine: PolicyEngine) -> None:
    member = access(roles=[("FINANCE", 7), ("MANAGEMENT", 8)], denials=[("PAYMENTS", "WRITE")])
    assert engine.scope(member, "INVOICES", "PAY") == AccountScope(False, frozenset({7}))
    assert engine.scope(member, "INVOICES", "READ") == AccountScope(False, frozenset({7, 8}))
    assert engine.scope(member, "PAYMENTS", "WRITE") == NO_SCOPE


def test_a_grant_opens_a_module_over_the_whole_organisation(engine: PolicyEngine) -> None:
    member = access(roles=[("COMMERCIAL", 7)], grants=[("REPORTS", "READ")])
    assert engine.scope(member, "REPORTS", "READ") == ALL_ACCOUNTS
    assert engine.scope(member, "REPORTS", "EXPORT") == NO_SCOPE


def test_a_revocation_applies_on_the_next_decision(engine: PolicyEngine) -> None:
    assert engine.scope(access(roles=[("FINANCE", None)]), "INVOICES", "READ") == ALL_ACCOUNTS
    assert engine.scope(access(roles=[]), "INVOICES", "READ") == NO_SCOPE
    assert engine.scope(access(roles=[("FINANCE", None)], active=False), "INVOICES", "READ") == NO_SCOPE
    assert engine.holds(1) == frozenset()
    assert engine.enforcer.get_role_manager().get_roles("c:1", "org:10") == []


def test_a_role_held_in_one_organisation_gives_nothing_in_another(engine: PolicyEngine) -> None:
    # SEC-28: the matcher binds the domain; the role link only holds in its own organisation.
    engine.sync(access(contact_id=1, org=9, roles=[("FINANCE", None)], grants=[("SHOP", "READ")]))
    assert engine.enforce("c:1", 9, "INVOICES", "READ") is True
    assert engine.enforce("c:1", 1, "INVOICES", "READ") is False
    assert engine.enforce("c:1", 1, "SHOP", "READ") is False


def test_the_model_uses_plain_equality_and_no_domain_pattern() -> None:
    # SEC-29/30: no keyMatch/regexMatch in the matcher; no domain matching function registered.
    text = MODEL_PATH.read_text()
    matcher = next(line for line in text.splitlines() if line.startswith("m ="))
    assert not re.search(r"keyMatch|regexMatch|globMatch|key_match|regex_match", matcher)
    assert "r.dom" in matcher and "g(r.sub, p.sub, r.dom)" in matcher
    engine = PolicyEngine(default_templates())
    role_manager = engine.enforcer.get_role_manager()
    assert getattr(role_manager, "domain_matching_func", None) is None
    assert role_manager.matching_func("c:12", "c:1*") is False  # plain equality, no pattern
    # A stray link written for the literal domain "*" gives nothing in a real organisation.
    engine.enforcer.add_named_grouping_policy("g", "c:1", "role:ADMIN", "*")
    assert engine.enforce("c:1", 5, "MEMBERS", "WRITE") is False


def test_policy_values_with_separators_are_refused() -> None:
    # SEC-31: a value carrying ", " and a newline would become an injected rule after a reload.
    for value in ["org3, INVOICES, READ\np, mallory", "a,b", "x y", "", "a" * 65]:
        with pytest.raises(PolicyValueError):
            check_value(value)
    with pytest.raises(PolicyValueError):
        parse_policy_lines(["p, role:FINANCE, *, INVOICES"])  # wrong arity is refused, never skipped
    with pytest.raises(PolicyValueError):
        parse_policy_lines(["p, role:FINANCE, *, INVOICES, DELETE, allow"])


def test_a_malformed_rule_inside_the_enforcer_denies_and_alerts(engine: PolicyEngine, caplog) -> None:  # type: ignore[no-untyped-def]
    # SEC-19: pycasbin raises on a wrong-arity row; the engine turns that into a deny.
    member = access(roles=[("FINANCE", None)])
    engine.sync(member)
    engine.enforcer.get_model().model["p"]["p"].policy.append(["role:FINANCE", "*", "INVOICES", "READ"])
    with caplog.at_level(logging.CRITICAL, logger="guichet.policies"):
        assert engine.enforce("c:1", 10, "INVOICES", "READ") is False
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)


def test_role_hierarchy_is_at_most_two_links_deep() -> None:
    # SEC-33: contact -> role, or scoped holder -> contact / role; never deeper.
    rules = contact_rules(access(roles=[("FINANCE", 7), ("ADMIN", None)], grants=[("SHOP", "READ")]))
    links = {(r[1], r[2]) for r in rules if r[0] == "g"}
    children = {parent for _child, parent in links}
    for child, parent in links:
        grand = {p for c, p in links if c == parent}
        assert all(not any(c == g for c, _ in links) for g in grand), (child, parent, children)


@pytest.mark.parametrize(
    "roles", [[], [("FINANCE", None)], [("COMMERCIAL", 3), ("MANAGEMENT", None)], [("ADMIN", None)]]
)
def test_displayed_permissions_are_what_the_enforcer_allows(engine: PolicyEngine, roles) -> None:  # type: ignore[no-untyped-def]
    member = access(
        roles=roles, grants=[("SHOP", "READ"), ("AUDIT", "READ")], denials=[("INVOICES", "EXPORT"), ("SHOP", "READ")]
    )
    shown = engine.effective_permissions(member)
    decided = {p for p in itertools.product(MODULES, ACTIONS) if not engine.scope(member, *p).empty}
    assert shown == decided


def test_one_decision_costs_one_evaluation_for_an_organisation_wide_role(engine: PolicyEngine) -> None:
    member = access(roles=[("FINANCE", None)])
    before = engine.evaluations
    engine.scope(member, "INVOICES", "READ")
    assert engine.evaluations - before == 1


def test_a_memoised_decision_never_outlives_a_revocation_synced_on_the_next_request(engine: PolicyEngine) -> None:
    finance = access(roles=[("FINANCE", None), ("FINANCE", 7)])
    assert engine.scope(finance, "INVOICES", "PAY") == ALL_ACCOUNTS
    assert engine.scope(finance, "INVOICES", "PAY") == ALL_ACCOUNTS  # answered from the memo
    # The next request reads the revoked rows (no role left, a denial added): refused at once.
    assert engine.scope(access(denials=[("INVOICES", "PAY")]), "INVOICES", "PAY") == NO_SCOPE
    assert engine.enforce("c:1", 10, "INVOICES", "PAY") is False
    assert engine.enforce("c:1/ba:7", 10, "INVOICES", "PAY") is False
    # Granted again: allowed again.
    assert engine.scope(access(grants=[("INVOICES", "PAY")]), "INVOICES", "PAY") == ALL_ACCOUNTS
    # A denial added on top of the grant still wins over the memoised allow.
    both = access(grants=[("INVOICES", "PAY")], denials=[("INVOICES", "PAY")])
    assert engine.scope(both, "INVOICES", "PAY") == NO_SCOPE


def test_a_repeated_decision_is_memoised_until_the_rules_change(engine: PolicyEngine) -> None:
    member = access(roles=[("FINANCE", None)])
    other = access(contact_id=2, roles=[("COMMERCIAL", None)])
    engine.sync(other)
    engine.scope(member, "INVOICES", "READ")
    casbin = engine.casbin_evaluations
    assert engine.scope(member, "INVOICES", "READ") == ALL_ACCOUNTS
    assert engine.casbin_evaluations == casbin  # unchanged rows: no evaluation
    version = engine.version
    engine.sync(access(contact_id=2, roles=[]))  # any change empties the memo
    assert engine.version > version
    assert engine.scope(member, "INVOICES", "READ") == ALL_ACCOUNTS
    assert engine.casbin_evaluations == casbin + 1


def test_a_template_reload_applies_to_memoised_decisions(engine: PolicyEngine) -> None:
    member = access(roles=[("FINANCE", None)])
    assert engine.scope(member, "INVOICES", "READ") == ALL_ACCOUNTS
    version = engine.version
    engine.replace_templates(default_templates())  # nothing changed: the memo is kept
    assert engine.version == version
    engine.replace_templates(r for r in default_templates() if r[1:5] != ("role:FINANCE", "*", "INVOICES", "READ"))
    assert engine.scope(member, "INVOICES", "READ") == NO_SCOPE
    engine.replace_templates(default_templates())
    assert engine.scope(member, "INVOICES", "READ") == ALL_ACCOUNTS


def test_a_failed_evaluation_is_not_memoised(engine: PolicyEngine) -> None:
    member = access(roles=[("FINANCE", None)])
    engine.sync(member)
    policy = engine.enforcer.get_model().model["p"]["p"].policy
    policy.append(["role:FINANCE", "*", "INVOICES", "READ"])
    assert engine.enforce("c:1", 10, "INVOICES", "READ") is False
    policy.remove(["role:FINANCE", "*", "INVOICES", "READ"])
    assert engine.enforce("c:1", 10, "INVOICES", "READ") is True
