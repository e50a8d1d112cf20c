"""Messages of instalment plans, and of the card rules (guichet.domain.cards) they share with payments."""

MESSAGES: dict[str, dict[str, str]] = {
    # Card rules (raised by guichet.domain.cards for payInvoices and the schedule mutations alike).
    "CARD_INVALID": {
        "en": "This card is not valid.",
        "fr": "Cette carte n'est pas valide.",
    },
    "card_number_invalid": {
        "en": "This card number is not valid.",
        "fr": "Ce numéro de carte n'est pas valide.",
    },
    "card_expiry_invalid": {
        "en": "This expiry date is not valid.",
        "fr": "Cette date de validité n'est pas valide.",
    },
    "card_expired": {
        "en": "This card has expired.",
        "fr": "Cette carte a expiré.",
    },
    "card_cvc_invalid": {
        "en": "The security code must be 3 digits.",
        "fr": "Le cryptogramme doit comporter 3 chiffres.",
    },
    "CARD_BRAND_NOT_ACCEPTED": {
        "en": "Only Visa and Mastercard cards are accepted.",
        "fr": "Seules les cartes Visa et Mastercard sont acceptées.",
    },
    "CARD_EXPIRES_TOO_SOON": {
        "en": "The card must remain valid until the last scheduled payment ({date}).",
        "fr": "La carte doit avoir une date de validité dépassant la date de votre dernière échéance "
        "programmée ({date}).",
    },
    # Schedules.
    "DEBIT_ALREADY_SCHEDULED": {
        "en": "Your next payment is already scheduled: the card can be changed up to 7 days before a payment.",
        "fr": "Votre prochain prélèvement est déjà programmé : la carte peut être modifiée au plus tard "
        "7 jours avant un prélèvement.",
    },
    "SCHEDULE_UNPAID": {
        "en": "The card cannot be changed while a payment is unpaid: please settle it first.",
        "fr": "Impossible de modifier votre carte tant qu'un prélèvement est impayé : veuillez d'abord le régulariser.",
    },
    "NOTHING_TO_REGULARISE": {
        "en": "There is nothing to settle on this plan.",
        "fr": "Il n'y a aucun impayé à régulariser sur cet échéancier.",
    },
    "INSTALLMENT_COUNT_NOT_ALLOWED": {
        "en": "You can settle in 1, 2 or 3 payments only.",
        "fr": "Vous pouvez régulariser en 1, 2 ou 3 fois seulement.",
    },
    "schedule_finished": {
        "en": "This plan has no payment left: its card cannot change.",
        "fr": "Cet échéancier n'a plus de prélèvement à venir : sa carte ne peut pas être modifiée.",
    },
    "schedule_changed": {
        "en": "This plan has just changed. Please try again.",
        "fr": "Cet échéancier vient d'être modifié. Veuillez réessayer.",
    },
    "schedule_order_unknown": {
        "en": "No instalment plan has the order number {order}.",
        "fr": "Aucun échéancier ne porte le numéro de commande {order}.",
    },
    "schedule_nothing_to_cancel": {
        "en": "Order {order} has no instalment left to cancel.",
        "fr": "La commande {order} n'a plus d'échéance à annuler.",
    },
    "cancel_amount_invalid": {
        "en": "The amount to cancel must be a positive amount in the plan's currency.",
        "fr": "Le montant à annuler doit être un montant positif dans la devise de l'échéancier.",
    },
    "cancel_amount_decimal_comma": {
        "en": "{amount} is not an amount: use a dot as decimal separator (e.g. 10.00).",
        "fr": "{amount} n'est pas un montant : utilisez un point comme séparateur décimal (par ex. 10.00).",
    },
    "cancel_amount_too_large": {
        "en": "The amount to cancel is larger than what remains to be paid.",
        "fr": "Le montant à annuler dépasse le montant restant dû.",
    },
    # The seed's pop-ins after « PAYER ».
    "regularisation_accepted": {
        "en": "Your payment of {amount} has been accepted. Thank you.",
        "fr": "Votre paiement de {amount} a bien été accepté et nous vous en remercions.",
    },
    "regularisation_accepted_cleared": {
        "en": "Your payment of {amount} has been accepted. Thank you. We confirm that your debt is now settled.",
        "fr": "Votre paiement de {amount} a bien été accepté et nous vous en remercions. A ce jour, nous vous "
        "confirmons que ce contentieux est bien régularisé.",
    },
    "regularisation_declined": {
        "en": "Your payment of {amount} was declined; you can reach us on {phone}.",
        "fr": "Votre paiement de {amount} a été rejeté, vous pouvez nous contacter au {phone}",
    },
    # A card charge whose outcome is not known yet (the provider did not answer in time).
    "regularisation_in_progress": {
        "en": "A payment for this plan is being confirmed with your bank. Please check again in a few "
        "minutes before paying again.",
        "fr": "Un paiement de cet échéancier est en cours de confirmation auprès de votre banque. Veuillez "
        "vérifier dans quelques minutes avant de payer à nouveau.",
    },
}
