"""Codes and French texts for request errors (parse, validation, variables), as integrators expect.

`extensions.code` follows Apollo Server's names: GRAPHQL_PARSE_FAILED for syntax errors (and the
token limit, which aborts parsing), BAD_USER_INPUT for variables that do not fit their type (and
NUL characters), GRAPHQL_VALIDATION_FAILED for the rest (unknown fields, missing arguments, the
depth, alias and field limits...).

With Accept-Language: fr the common messages are given in French: each pattern below recognises
one of graphql-core's (or our limits') English messages and renders the catalogue entry of the
same key (i18n/catalogue_graphql.py) with the values it captured. A message no pattern knows stays
in English. "Did you mean" hints are translated too; they exist only while introspection is on
(ErrorHygiene rewrites every hinting message when it is off).
"""

from __future__ import annotations

import re

from guichet.i18n import render

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"

_NAME = r"[^']+"
_HINT = r"(?P<hint>(?: Did you mean .+\?)?)"
# Most specific first: the first match wins.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern, re.DOTALL))
    for key, pattern in (
        (
            "graphql_too_many_tokens",
            r"^Syntax Error: Document contains more than (?P<max>\d+) tokens\. Parsing aborted\.$",
        ),
        ("graphql_syntax", r"^Syntax Error: (?P<detail>.*)$"),
        ("graphql_unknown_field", rf"^Cannot query field '(?P<field>{_NAME})' on type '(?P<type>{_NAME})'\.{_HINT}$"),
        (
            "graphql_unknown_argument",
            rf"^Unknown argument '(?P<argument>{_NAME})' on field '(?P<field>{_NAME})'\.{_HINT}$",
        ),
        (
            "graphql_missing_argument",
            rf"^Argument '(?P<argument>{_NAME})' of type '(?P<type>{_NAME})' is required, but it was not provided\.$",
        ),
        (
            "graphql_missing_input_field",
            rf"^Expected value of type '(?P<type>{_NAME})' to include required field '(?P<field>{_NAME})', "
            r"found: (?P<found>.*)\.$",
        ),
        (
            "graphql_unknown_input_field",
            rf"^Expected value of type '(?P<type>{_NAME})' not to include unknown field '(?P<field>{_NAME})'\."
            rf"{_HINT} Found: (?P<found>.*)\.$",
        ),
        (
            "graphql_unknown_enum_value",
            rf"^Value '(?P<value>{_NAME})' does not exist in '(?P<enum>{_NAME})' enum\.{_HINT}$",
        ),
        ("graphql_unknown_type", rf"^Unknown type '(?P<type>{_NAME})'\.{_HINT}$"),
        (
            "graphql_missing_selection",
            rf"^Field '(?P<field>{_NAME})' of type '(?P<type>{_NAME})' must have a selection of subfields\.{_HINT}$",
        ),
        (
            "graphql_no_selection_allowed",
            rf"^Field '(?P<field>{_NAME})' must not have a selection since type '(?P<type>{_NAME})' has no subfields\.$",
        ),
        ("graphql_nul_in_variable", r"^Variable '\$(?P<name>\w+)' may not contain the NUL character \(U\+0000\)\.$"),
        (
            "graphql_variable_invalid",
            r"^Variable '\$(?P<name>\w+)' has invalid value(?P<at> at [^:]+)?: (?P<reason>.*)$",
        ),
        ("graphql_variable_unused", r"^Variable '\$(?P<name>\w+)' is never used\.$"),
        ("graphql_variable_undefined", r"^Variable '\$(?P<name>\w+)' is not defined\.$"),
        ("graphql_unknown_fragment", rf"^Unknown fragment '(?P<name>{_NAME})'\.$"),
        ("graphql_unused_fragment", rf"^Fragment '(?P<name>{_NAME})' is never used\.$"),
        (
            "graphql_fragment_cycle",
            rf"^Cannot spread fragment '(?P<name>{_NAME})' within itself(?P<via> via [\w', ]+)?\.$",
        ),
        ("graphql_unknown_directive", rf"^Unknown directive '(?P<name>{_NAME})'\.$"),
        (
            "graphql_introspection_disabled",
            r"^GraphQL introspection has been disabled, but the requested query contained the field '(?P<field>__\w+)'\.$",
        ),
        ("graphql_too_deep", rf"^'(?P<operation>{_NAME})' exceeds maximum operation depth of (?P<max>\d+)$"),
        ("graphql_too_many_aliases", r"^(?P<count>\d+) aliases found\. Allowed: (?P<max>\d+)$"),
        (
            "graphql_too_many_fields",
            rf"^'(?P<operation>{_NAME})' selects (?P<count>\d+) fields once fragments are expanded\. Allowed: (?P<max>\d+)$",
        ),
        ("graphql_nul_in_text", r"^Text may not contain the NUL character \(U\+0000\)\.$"),
        ("graphql_validation_hidden", r"^Query validation error\.$"),
    )
)
_HINT_OPTIONS = re.compile(r"^ Did you mean (?P<options>.+)\?$", re.DOTALL)


def code_of(message: str) -> str:
    """The Apollo-style code of a request error that carries none."""
    if message.startswith("Syntax Error: "):
        return PARSE_FAILED
    if re.match(r"^Variable '\$\w+' has invalid value", message):
        return BAD_USER_INPUT
    return VALIDATION_FAILED


def localised(message: str, locale: str) -> str:
    """`message` in `locale` when it is one of the known ones; otherwise unchanged."""
    if locale == "en":
        return message
    for key, pattern in PATTERNS:
        found = pattern.match(message)
        if found is None:
            continue
        values = {name: value or "" for name, value in found.groupdict().items()}
        if values.get("hint"):
            values["hint"] = _hint(values["hint"], locale)
        if values.get("reason"):
            values["reason"] = localised(values["reason"], locale)
        if values.get("at"):
            values["at"] = values["at"].replace(" at ", " en ", 1) if locale == "fr" else values["at"]
        if key == "graphql_fragment_cycle" and values.get("via") and locale == "fr":
            values["via"] = values["via"].replace(" via ", " par ", 1)
        return render(key, locale, values)
    return message


def _hint(hint: str, locale: str) -> str:
    found = _HINT_OPTIONS.match(hint)
    if found is None:
        return hint
    options = (
        found.group("options")
        .replace("the enum value ", render("graphql_hint_enum_value", locale))
        .replace(" or ", render("graphql_hint_or", locale))
    )
    return render("graphql_hint", locale, {"options": options})
