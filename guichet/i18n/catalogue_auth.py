"""Messages of sign-in, passwords, first connection and registration."""

MESSAGES: dict[str, dict[str, str]] = {
    "INVALID_CREDENTIALS": {
        "en": "The e-mail address or the password is incorrect.",
        "fr": "L'adresse e-mail ou le mot de passe est incorrect.",
    },
    "TOO_MANY_ATTEMPTS": {
        "en": "Too many attempts. Please try again in {minutes} minutes.",
        "fr": "Trop de tentatives. Veuillez réessayer dans {minutes} minutes.",
    },
    "WEAK_PASSWORD": {
        "en": "The password must contain {missing}.",
        "fr": "Le mot de passe doit contenir {missing}.",
    },
    "password_too_long": {
        "en": "The password may not be longer than {max} characters.",
        "fr": "Le mot de passe ne peut pas dépasser {max} caractères.",
    },
    "TOKEN_INVALID": {
        "en": "This link is invalid, has expired or has already been used.",
        "fr": "Ce lien n'est pas valide, a expiré ou a déjà été utilisé.",
    },
    "TAXPAYER_NUMBER_UNKNOWN": {
        "en": "This taxpayer number, billing account or invoice is not recognised. Please contact customer service.",
        "fr": "Ce numéro de compte contribuable, ce compte de facturation ou cette facture n'est pas "
        "reconnu. Veuillez contacter le service client.",
    },
    "ALREADY_REGISTERED": {
        "en": "This organisation already has an administrator.",
        "fr": "Cette organisation a déjà un administrateur.",
    },
}
