"""Messages of reporting: spending and export jobs."""

MESSAGES: dict[str, dict[str, str]] = {
    "spending_range_reversed": {
        "en": "The end of the period comes before its start.",
        "fr": "La fin de la période précède son début.",
    },
    "spending_range_too_long": {
        "en": "A spending report covers at most {days} days.",
        "fr": "Un état des dépenses couvre {days} jours au plus.",
    },
    "payment_created_range": {
        "en": "The end of the creation-date range comes before its start.",
        "fr": "La fin de la période de création précède son début.",
    },
}
