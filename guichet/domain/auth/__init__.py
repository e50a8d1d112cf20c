"""Sign-in, sessions, passwords, first connection and self-registration: the services of the auth area.

Each service takes an AuthEnv (unit of work, hasher, time, language, client address) and owns
one transaction; refusals are DomainErrors. Failures that must be counted (throttling) are
committed before the refusal is raised.
"""

from guichet.domain.auth.env import AuthEnv, UnitOfWork
from guichet.domain.auth.first_connection import activate_account, request_first_connection
from guichet.domain.auth.login import login, logout
from guichet.domain.auth.recovery import change_password, request_password_reset, reset_password
from guichet.domain.auth.registration import register_organisation_access
from guichet.domain.auth.sessions import OpenedSession

__all__ = [
    "AuthEnv",
    "OpenedSession",
    "UnitOfWork",
    "activate_account",
    "change_password",
    "login",
    "logout",
    "register_organisation_access",
    "request_first_connection",
    "request_password_reset",
    "reset_password",
]
