"""Messages of support rewards."""

MESSAGES: dict[str, dict[str, str]] = {
    "REWARD_BALANCE_INSUFFICIENT": {
        "en": "Your rewards balance in this currency is less than this amount.",
        "fr": "Votre solde de récompenses dans cette devise est inférieur à ce montant.",
    },
    "INVOICE_NOT_ELIGIBLE_FOR_REWARDS": {
        "en": "Rewards cannot pay this invoice.",
        "fr": "Les récompenses ne peuvent pas régler cette facture.",
    },
    "AMOUNT_EXCEEDS_AMOUNT_DUE": {
        "en": "This amount is more than what is left to pay on the invoice.",
        "fr": "Ce montant dépasse le reste à payer de la facture.",
    },
    "rewards_need_invoices_pay": {
        "en": "Paying an invoice with rewards needs the right to pay invoices (INVOICES PAY).",
        "fr": "Régler une facture avec des récompenses demande le droit de payer les factures (INVOICES PAY).",
    },
    "rewards_amount_invalid": {
        "en": "Give a positive amount with no more decimals than the invoice's currency has.",
        "fr": "Indiquez un montant positif sans plus de décimales que la devise de la facture.",
    },
}
