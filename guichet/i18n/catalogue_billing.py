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
    "address_part_invalid": {
        "en": "Fill in this part of the address (at most 200 characters).",
        "fr": "Renseignez cette partie de l'adresse (200 caractères au plus).",
    },
    "country_invalid": {
        "en": "The country is a two-letter ISO code, e.g. CI.",
        "fr": "Le pays est un code ISO à deux lettres, par exemple CI.",
    },
    "purposes_required": {
        "en": "Give at least one purpose: BILL_TO, ACCOUNT or DUNNING.",
        "fr": "Indiquez au moins un rôle : BILL_TO, ACCOUNT ou DUNNING.",
    },
    "contact_name_invalid": {
        "en": "Give the contact's name (at most 200 characters).",
        "fr": "Indiquez le nom du contact (200 caractères au plus).",
    },
    "saved_method_type_invalid": {
        "en": "Only a card or an Orange Money wallet can be saved.",
        "fr": "Seule une carte ou un compte Orange Money peut être enregistré.",
    },
    "saved_method_needs_card": {
        "en": "A saved payment method pays by card: choose the CARD method.",
        "fr": "Un moyen de paiement enregistré paie par carte : choisissez le moyen CARD.",
    },
    "set_as_default_needs_card": {
        "en": "Only a new card can be kept as the default method.",
        "fr": "Seule une nouvelle carte peut devenir le moyen de paiement par défaut.",
    },
    "set_as_default_one_account": {
        "en": "A card is kept for one billing account: pay that account's items alone.",
        "fr": "Une carte est enregistrée pour un seul compte de facturation : payez ses éléments séparément.",
    },
}
