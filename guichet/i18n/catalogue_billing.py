"""Messages of pending payments and the billing profile."""

MESSAGES: dict[str, dict[str, str]] = {
    "CURRENCY_MISMATCH": {
        "en": "One payment pays items of one currency: pay the others separately.",
        "fr": "Un paiement ne règle que des éléments d'une même devise : payez les autres séparément.",
    },
    "PENDING_PAYMENT_NOT_PAYABLE": {
        "en": "This item cannot be paid: it is not due, or a payment for it is already under way.",
        "fr": "Cet élément ne peut pas être payé : il n'est pas dû ou un paiement est déjà en cours.",
    },
    "PAYMENT_METHOD_IN_USE": {
        "en": "This is the default method of an account with automatic payment on: set another default first.",
        "fr": "C'est le moyen par défaut d'un compte en paiement automatique : choisissez d'abord un autre moyen "
        "par défaut.",
    },
    "LAST_BILL_TO_CONTACT": {
        "en": "A billing profile keeps at least one invoice recipient (BILL_TO) contact.",
        "fr": "Un profil de facturation garde au moins un contact destinataire des factures (BILL_TO).",
    },
    "payment_failed_card_expired": {
        "en": "The card has expired. Pay with another card or another method.",
        "fr": "La carte a expiré. Payez avec une autre carte ou un autre moyen de paiement.",
    },
    "pending_payment_ids_required": {
        "en": "Choose at least one item to pay.",
        "fr": "Choisissez au moins un élément à payer.",
    },
    "pending_payment_ids_repeated": {
        "en": "The same item is listed twice.",
        "fr": "Le même élément figure deux fois.",
    },
}
