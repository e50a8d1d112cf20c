"""Messages shared by every area: the generic codes."""

MESSAGES: dict[str, dict[str, str]] = {
    "VALIDATION": {"en": "This value is not valid.", "fr": "Cette valeur n'est pas valide."},
    "NOT_FOUND": {"en": "Not found.", "fr": "Introuvable."},
    "FORBIDDEN": {
        "en": "You are not allowed to do this.",
        "fr": "Vous n'êtes pas autorisé à effectuer cette action.",
    },
    "UNAUTHENTICATED": {"en": "Please sign in.", "fr": "Veuillez vous connecter."},
    "email_invalid": {
        "en": "This is not a valid e-mail address.",
        "fr": "Cette adresse e-mail n'est pas valide.",
    },
    "required": {"en": "This field is required.", "fr": "Ce champ est obligatoire."},
    "first_out_of_range": {
        "en": "`first` must be between 1 and {max}.",
        "fr": "`first` doit être compris entre 1 et {max}.",
    },
    "cursor_invalid": {"en": "This cursor is not valid.", "fr": "Ce curseur n'est pas valide."},
    "id_invalid": {"en": "This ID is not valid.", "fr": "Cet identifiant n'est pas valide."},
}
