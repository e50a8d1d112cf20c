"""Messages of the invoices area."""

MESSAGES: dict[str, dict[str, str]] = {
    "invoice_search_too_long": {
        "en": "The search text may not be longer than {max} characters.",
        "fr": "Le texte recherché ne peut pas dépasser {max} caractères.",
    },
    "invoice_line_number_invalid": {
        "en": "This is not a line number.",
        "fr": "Ce n'est pas un numéro de ligne.",
    },
    "invoice_issued_range": {
        "en": "The end of the issue-date range comes before its start.",
        "fr": "La fin de la période d'émission précède son début.",
    },
    "invoice_order_invalid": {
        "en": "This ordering is not supported.",
        "fr": "Ce tri n'est pas pris en charge.",
    },
    "invoice_list_too_many_recipients": {
        "en": "An invoice list can be sent to at most {max} recipients at once.",
        "fr": "Une liste de factures peut être envoyée à {max} destinataires au plus à la fois.",
    },
    "invoice_list_recipient_not_member": {
        "en": "Invoice lists can only be sent to yourself or to active contacts of your organisation.",
        "fr": "La liste des factures ne peut être envoyée qu'à vous-même ou aux contacts actifs de votre organisation.",
    },
    "invoice_list_throttled": {
        "en": "You can send at most {max} invoice lists per hour. Please try again in {minutes} minutes.",
        "fr": "Vous pouvez envoyer au plus {max} listes de factures par heure. Veuillez réessayer dans {minutes} minutes.",
    },
}
