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
    "export_kind_not_available": {
        "en": "{kind} cannot be exported yet: Guichet has no such area (contracts, billing schedule, orders and "
        "rewards are not served).",
        "fr": "{kind} ne peut pas encore être exporté : Guichet n'a pas ce domaine (contrats, échéancier de "
        "facturation, commandes et récompenses ne sont pas servis).",
    },
    "export_pdfs_zip_only": {
        "en": "Invoice PDFs are exported as a ZIP only.",
        "fr": "Les PDF des factures ne s'exportent qu'en ZIP.",
    },
    "export_format_table_only": {
        "en": "This kind is exported as CSV or JSONL; ZIP is for invoice PDFs.",
        "fr": "Ce type s'exporte en CSV ou JSONL ; le ZIP est réservé aux PDF des factures.",
    },
    "export_idempotency_key_invalid": {
        "en": "Give an idempotency key of 1 to 255 characters.",
        "fr": "Indiquez une clé d'idempotence de 1 à 255 caractères.",
    },
    "EXPORT_LIMIT_REACHED": {
        "en": "Your organisation already has {max} exports waiting or running. Try again when one has finished.",
        "fr": "Votre organisation a déjà {max} exports en attente ou en cours. Réessayez quand l'un d'eux sera terminé.",
    },
    "EXPORT_NOT_CANCELLABLE": {
        "en": "This export has already finished: it can no longer be cancelled.",
        "fr": "Cet export est déjà terminé : il ne peut plus être annulé.",
    },
}
