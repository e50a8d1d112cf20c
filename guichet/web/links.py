"""The pages e-mailed links open: /activate, /accept-invitation and /reset-password (?token=…).

Each is a small, accessible HTML form (labelled fields, a live status region, French or English
from Accept-Language) whose script, served from /assets/links/, sends the matching GraphQL
mutation (activateAccount, acceptInvitation, resetPassword) with fetch. The CSP lets only our
own script and style run: no inline script, no third-party asset, no form submission, no
framing. The token stays in the browser (the page never echoes it; the script removes it from
the address bar). A frontend can take these links over by setting GUICHET_PUBLIC_URL to itself.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from guichet.domain.auth.rules import PURPOSE_ACTIVATE, PURPOSE_RESET
from guichet.domain.members.rules import PURPOSE_INVITATION
from guichet.i18n import negotiate_locale
from guichet.web.asset_files import asset_response

ASSETS_PREFIX = "/assets/links"
# The only files served: a closed list, so no path ever reaches the file system from the URL.
ASSET_TYPES = {
    "guichet-links.js": "text/javascript; charset=utf-8",
    "guichet-links.css": "text/css; charset=utf-8",
}
LINKS_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


@dataclass(frozen=True)
class PageText:
    title: str
    intro: str
    submit: str
    done: str
    names: bool  # ask for first and last name (optional)


COMMON = {
    "en": {
        "first_name": "First name (optional)",
        "last_name": "Last name (optional)",
        "password": "Password",
        "confirmation": "Password again",
        "rule": "At least 8 characters, with a lower-case letter, an upper-case letter, a digit and a special character.",
        "mismatch": "The two passwords differ.",
        "missing_token": "This link is incomplete: open it again from the e-mail, in full.",
        "sending": "Sending…",
        "failed": "The service could not be reached. Please try again.",
        "noscript": "This page needs JavaScript to send the form.",
    },
    "fr": {
        "first_name": "Prénom (facultatif)",
        "last_name": "Nom (facultatif)",
        "password": "Mot de passe",
        "confirmation": "Mot de passe, à nouveau",
        "rule": "Au moins 8 caractères, dont une minuscule, une majuscule, un chiffre et un caractère spécial.",
        "mismatch": "Les deux mots de passe diffèrent.",
        "missing_token": "Ce lien est incomplet : ouvrez-le à nouveau depuis l'e-mail, en entier.",
        "sending": "Envoi…",
        "failed": "Le service est injoignable. Veuillez réessayer.",
        "noscript": "Cette page a besoin de JavaScript pour envoyer le formulaire.",
    },
}

PAGES: dict[str, dict[str, PageText]] = {
    PURPOSE_ACTIVATE: {
        "en": PageText(
            "Activate your Guichet access",
            "Choose the password you will sign in with.",
            "Activate",
            "Your access is active. You can now sign in with your e-mail address and this password.",
            names=True,
        ),
        "fr": PageText(
            "Activez votre accès Guichet",
            "Choisissez le mot de passe avec lequel vous vous connecterez.",
            "Activer",
            "Votre accès est actif. Vous pouvez vous connecter avec votre adresse e-mail et ce mot de passe.",
            names=True,
        ),
    },
    PURPOSE_INVITATION: {
        "en": PageText(
            "Accept your invitation",
            "Choose your password; if you already have a Guichet account, enter its password.",
            "Accept the invitation",
            "Invitation accepted. You can now sign in with your e-mail address and your password.",
            names=True,
        ),
        "fr": PageText(
            "Acceptez votre invitation",
            "Choisissez votre mot de passe ; si vous avez déjà un compte Guichet, saisissez son mot de passe.",
            "Accepter l'invitation",
            "Invitation acceptée. Vous pouvez vous connecter avec votre adresse e-mail et votre mot de passe.",
            names=True,
        ),
    },
    PURPOSE_RESET: {
        "en": PageText(
            "Choose a new password",
            "Your other sessions will be ended.",
            "Change the password",
            "Your password has been changed. Sign in again with the new one.",
            names=False,
        ),
        "fr": PageText(
            "Choisissez un nouveau mot de passe",
            "Vos autres sessions seront fermées.",
            "Changer le mot de passe",
            "Votre mot de passe a été changé. Connectez-vous à nouveau avec le nouveau.",
            names=False,
        ),
    },
}


def _field(name: str, label: str, kind: str, autocomplete: str, *, required: bool, hint: str | None = None) -> str:
    described = f' aria-describedby="{name}-hint"' if hint else ""
    hint_html = f'<p class="hint" id="{name}-hint">{html.escape(hint)}</p>' if hint else ""
    return (
        f'<label for="{name}">{html.escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" autocomplete="{autocomplete}"'
        f"{' required' if required else ''}{described}>{hint_html}"
    )


def render_page(purpose: str, locale: str) -> str:
    """The page of `purpose` in `locale` (fr or en); every text escaped."""
    text, common = PAGES[purpose][locale], COMMON[locale]
    fields = []
    if text.names:
        fields.append(_field("firstName", common["first_name"], "text", "given-name", required=False))
        fields.append(_field("lastName", common["last_name"], "text", "family-name", required=False))
    fields.append(
        _field("password", common["password"], "password", "new-password", required=True, hint=common["rule"])
    )
    fields.append(_field("confirmation", common["confirmation"], "password", "new-password", required=True))
    data = {
        "purpose": purpose,
        "endpoint": "/graphql",
        "done": text.done,
        "mismatch": common["mismatch"],
        "missing-token": common["missing_token"],
        "sending": common["sending"],
        "failed": common["failed"],
    }
    attributes = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in data.items())
    return (
        "<!doctype html>\n"
        f'<html lang="{locale}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{html.escape(text.title)}</title>\n"
        f'<link rel="stylesheet" href="{ASSETS_PREFIX}/guichet-links.css">\n'
        f'<script src="{ASSETS_PREFIX}/guichet-links.js" defer></script>\n'
        "</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(text.title)}</h1>\n<p>{html.escape(text.intro)}</p>\n"
        f"<noscript><p>{html.escape(common['noscript'])}</p></noscript>\n"
        f'<form id="guichet-link-form" {attributes} novalidate>\n'
        + "\n".join(fields)
        + f'\n<button type="submit">{html.escape(text.submit)}</button>\n</form>\n'
        '<div id="guichet-link-status" class="status" role="status" aria-live="polite" tabindex="-1"></div>\n'
        "</main>\n</body>\n</html>\n"
    )


async def link_page(request: Request) -> Response:
    purpose = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    locale = negotiate_locale(request.headers.get("accept-language"))
    return HTMLResponse(
        render_page(purpose, locale),
        headers={"Content-Security-Policy": LINKS_CSP, "Cache-Control": "no-store", "Vary": "Accept-Language"},
    )


async def asset(request: Request) -> Response:
    return asset_response(request, ASSET_TYPES)


def routes() -> list[Route]:
    return [
        *(Route(f"/{purpose}", link_page, methods=["GET", "HEAD"]) for purpose in PAGES),
        Route(ASSETS_PREFIX + "/{name}", asset, methods=["GET", "HEAD"]),
    ]
