"""Messages of sign-in, passwords, first connection and registration."""

MESSAGES: dict[str, dict[str, str]] = {
    "INVALID_CREDENTIALS": {
        "en": "The e-mail address or the password is incorrect.",
        "fr": "L'adresse e-mail ou le mot de passe est incorrect.",
    },
    "bearer_invalid": {
        "en": "The Authorization header holds no valid session (expired, ended or malformed): sign in again, "
        "or send the request without it.",
        "fr": "L'en-tête Authorization ne porte aucune session valide (expirée, terminée ou mal formée) : "
        "reconnectez-vous, ou envoyez la requête sans cet en-tête.",
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

# Finer validation messages of the auth area.
MESSAGES.update(
    {
        "value_too_long": {
            "en": "This value may not be longer than {max} characters.",
            "fr": "Cette valeur ne peut pas dépasser {max} caractères.",
        },
        "current_password_wrong": {
            "en": "The current password is incorrect.",
            "fr": "Le mot de passe actuel est incorrect.",
        },
    }
)

# E-mails of the auth area: plain text, in the request's language; {link} is the one-time link.
MESSAGES.update(
    {
        "mail_activate_subject": {
            "en": "Activate your Guichet access",
            "fr": "Activez votre accès Guichet",
        },
        "mail_activate_body": {
            "en": "Hello,\n\n"
            "To activate your access to your customer area and choose your password, open this link "
            "(valid for 7 days, usable once):\n\n{link}\n\n"
            "If you did not ask for it, you can ignore this e-mail.\n",
            "fr": "Bonjour,\n\n"
            "Pour activer votre accès à votre espace client et choisir votre mot de passe, ouvrez ce lien "
            "(valable 7 jours, utilisable une seule fois) :\n\n{link}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail.\n",
        },
        "mail_register_subject": {
            "en": "Your organisation's access to Guichet",
            "fr": "L'accès de votre organisation à Guichet",
        },
        "mail_register_body": {
            "en": "Hello {first_name},\n\n"
            "You asked for access to the customer area of {organisation} as its administrator. "
            "To activate it and choose your password, open this link (valid for 7 days, usable once):\n\n"
            "{link}\n\n"
            "If you did not ask for it, you can ignore this e-mail.\n",
            "fr": "Bonjour {first_name},\n\n"
            "Vous avez demandé l'accès à l'espace client de {organisation} en tant qu'administrateur. "
            "Pour l'activer et choisir votre mot de passe, ouvrez ce lien (valable 7 jours, utilisable "
            "une seule fois) :\n\n{link}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail.\n",
        },
        "mail_reset_subject": {
            "en": "Reset your Guichet password",
            "fr": "Réinitialisez votre mot de passe Guichet",
        },
        "mail_reset_body": {
            "en": "Hello,\n\n"
            "To choose a new password, open this link (valid for 1 hour, usable once):\n\n{link}\n\n"
            "If you did not ask for it, you can ignore this e-mail: your password stays unchanged.\n",
            "fr": "Bonjour,\n\n"
            "Pour choisir un nouveau mot de passe, ouvrez ce lien (valable 1 heure, utilisable une seule "
            "fois) :\n\n{link}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : votre mot de passe "
            "reste inchangé.\n",
        },
        "mail_password_changed_subject": {
            "en": "Your Guichet password was changed",
            "fr": "Votre mot de passe Guichet a été modifié",
        },
        "mail_password_changed_body": {
            "en": "Hello,\n\n"
            "The password of your customer area was changed and your other sessions were closed.\n\n"
            "If you did not do it, ask for a new password at once with 'Forgot password' and contact "
            "customer service.\n",
            "fr": "Bonjour,\n\n"
            "Le mot de passe de votre espace client a été modifié et vos autres sessions ont été fermées.\n\n"
            "Si vous n'êtes pas à l'origine de ce changement, demandez immédiatement un nouveau mot de passe "
            "avec « Mot de passe oublié » et contactez le service client.\n",
        },
    }
)
