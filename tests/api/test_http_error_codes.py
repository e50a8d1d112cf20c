"""What integrators read in errors: an Apollo-style extensions.code on every request error, French
with Accept-Language: fr, "Did you mean" only while the schema is public, and FORBIDDEN naming the
permission it needed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from guichet.domain.ids import to_global_id
from guichet.server import create_app
from tests.factories import make_member, make_organisation
from tests.factories_payments import PAY, make_pay_world, pay_input


@pytest.fixture
async def hidden(settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.with_overrides(introspection=False, graphiql=False), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://guichet.test") as client,
    ):
        yield client


async def _errors(client: httpx.AsyncClient, query: str, variables: Any = None, lang: str = "en") -> list[Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers={"Accept-Language": lang}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    return [(e["message"], e["extensions"]) for e in body["errors"]]


VALIDATION = {"code": "GRAPHQL_VALIDATION_FAILED"}
PARSE = {"code": "GRAPHQL_PARSE_FAILED"}
BAD_INPUT = {"code": "BAD_USER_INPUT"}
SIXTEEN_ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }"

CASES = [
    (
        "{ supportChannel { kind } }",
        None,
        "Cannot query field 'supportChannel' on type 'Query'. Did you mean 'supportChannels'?",
        "Le champ 'supportChannel' n'existe pas sur le type 'Query'. Vouliez-vous dire 'supportChannels' ?",
        VALIDATION,
    ),
    (
        "mutation { login { errors { code } } }",
        None,
        "Argument 'Mutation.login(input:)' of type 'LoginInput!' is required, but it was not provided.",
        "L'argument 'Mutation.login(input:)' de type 'LoginInput!' est obligatoire, mais il n'a pas été fourni.",
        VALIDATION,
    ),
    (
        "{ supportChannels(topic: PAYMENT) { kind } }",
        None,
        "Value 'PAYMENT' does not exist in 'SupportTopic' enum. Did you mean the enum value 'PAYMENTS'?",
        "La valeur 'PAYMENT' n'existe pas dans l'énumération 'SupportTopic'. Vouliez-vous dire la valeur 'PAYMENTS' ?",
        VALIDATION,
    ),
    (
        "query($t: SupportTopic) { supportChannels(topic: $t) { kind } }",
        {"t": "PAYMENTZ"},
        "Variable '$t' has invalid value: Value 'PAYMENTZ' does not exist in 'SupportTopic' enum. "
        "Did you mean the enum value 'PAYMENTS'?",
        "La variable '$t' a une valeur invalide : La valeur 'PAYMENTZ' n'existe pas dans l'énumération "
        "'SupportTopic'. Vouliez-vous dire la valeur 'PAYMENTS' ?",
        BAD_INPUT,
    ),
    (
        "{ supportChannels { kind }",
        None,
        "Syntax Error: Expected Name, found <EOF>.",
        "Erreur de syntaxe : Expected Name, found <EOF>.",
        PARSE,
    ),
    (
        "{ " + "__typename " * 1001 + "}",
        None,
        "Syntax Error: Document contains more than 1000 tokens. Parsing aborted.",
        "Erreur de syntaxe : le document contient plus de 1000 jetons ; analyse interrompue.",
        PARSE,
    ),
    (
        SIXTEEN_ALIASES,
        None,
        "16 aliases found. Allowed: 15",
        "16 alias trouvés ; 15 au plus sont permis.",
        VALIDATION,
    ),
    (
        "query Deep { ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(11))
        + " fragment F11 on Query { __typename }",
        None,
        "'Deep' selects 2048 fields once fragments are expanded. Allowed: 2000",
        "L'opération 'Deep' sélectionne 2048 champs une fois les fragments développés ; 2000 au plus sont permis.",
        VALIDATION,
    ),
    (
        'mutation($e: String!) { login(input: {email: $e, password: "x"}) { errors { code } } }',
        {"e": "a\x00b"},
        "Variable '$e' may not contain the NUL character (U+0000).",
        "La variable '$e' ne peut pas contenir le caractère NUL (U+0000).",
        BAD_INPUT,
    ),
]


@pytest.mark.parametrize(("query", "variables", "english", "french", "extensions"), CASES)
async def test_request_errors_carry_a_code_and_speak_french_on_request(
    http, query: str, variables: Any, english: str, french: str, extensions: dict[str, str]
) -> None:
    assert await _errors(http, query, variables) == [(english, extensions)]
    assert await _errors(http, query, variables, lang="fr") == [(french, extensions)]


async def test_the_depth_limit_speaks_french(http) -> None:
    line = "billingAccount { lines(first: 1) { edges { node { " * 3 + "number" + " } } } }" * 3
    query = f'{{ node(id: "TGluZTox") {{ ... on Line {{ {line} }} }} }}'
    assert await _errors(http, query, lang="fr") == [
        ("L'opération 'anonymous' dépasse la profondeur maximale de 12.", VALIDATION)
    ]


async def test_a_hidden_schema_gives_no_hint_in_either_language(hidden) -> None:
    for lang, message in (("en", "Query validation error."), ("fr", "Erreur de validation de la requête.")):
        assert await _errors(hidden, "{ supportChannel { kind } }", lang=lang) == [(message, VALIDATION)]
        assert await _errors(hidden, "{ supportChannels { kind }", lang=lang) == [
            (
                {
                    "en": "Syntax Error: Expected Name, found <EOF>.",
                    "fr": "Erreur de syntaxe : Expected Name, found <EOF>.",
                }[lang],
                PARSE,
            )
        ]


async def test_forbidden_names_the_module_and_action_it_needed(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        manager = await make_member(session, world.org, roles=[("MANAGEMENT", None)])

    paid = await gql(PAY, pay_input(world), token=manager.token, lang="fr")

    assert paid["data"] is None
    assert [(e["message"], e["path"], e["extensions"]) for e in paid["errors"]] == [
        (
            "Vous n'êtes pas autorisé à effectuer cette action.",
            ["payInvoices"],
            {"code": "FORBIDDEN", "module": "INVOICES", "action": "PAY"},
        )
    ]


async def test_a_forbidden_field_names_its_module_and_action(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        commercial = await make_member(session, org, roles=[("COMMERCIAL", None)])
    query = "query($id: ID!) { organisation(id: $id) { invoices { totalCount } } }"

    result = await gql(query, {"id": to_global_id("Organisation", org.id)}, token=commercial.token)

    assert [(e["path"], e["extensions"]) for e in result["errors"]] == [
        (["organisation", "invoices"], {"code": "FORBIDDEN", "module": "INVOICES", "action": "READ"})
    ]


async def test_over_websocket_a_syntax_error_has_its_code_and_language_too(app) -> None:
    from guichet.resolvers.context import build_context

    context = build_context(app.state.guichet, None, headers={"accept-language": "fr"})
    # graphql-transport-ws runs every operation through Schema.stream.
    stream = await app.state.schema.stream("subscription { paymentUpdated(", context_value=context)
    result = await anext(stream)
    await stream.aclose()
    await context.close()

    assert [(e.message, e.extensions) for e in result.errors] == [
        ("Erreur de syntaxe : Expected Name, found <EOF>.", PARSE)
    ]


async def test_over_websocket_an_unexpected_error_is_masked(app, monkeypatch: pytest.MonkeyPatch) -> None:
    from guichet.resolvers import payments
    from guichet.resolvers.context import build_context

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("relation secret_table does not exist")
        yield  # an async generator, like the real one

    monkeypatch.setattr(payments, "watch_payment", broken)
    context = build_context(app.state.guichet, None, headers={})
    stream = await app.state.schema.stream(
        'subscription { paymentUpdated(paymentId: "UGF5bWVudDox") { status } }', context_value=context
    )
    result = await anext(stream)
    await stream.aclose()
    await context.close()

    assert [(e.message, e.extensions["code"]) for e in result.errors] == [
        ("Unexpected error.", "INTERNAL_SERVER_ERROR")
    ]
