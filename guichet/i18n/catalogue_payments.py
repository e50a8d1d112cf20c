"""Messages of payments: refusals, next-step instructions and failure explanations (Orange FAQ Q8)."""

MESSAGES: dict[str, dict[str, str]] = {
    "INVOICE_NOT_PAYABLE": {
        "en": "This invoice cannot be paid: it is already paid or a payment for it is under way.",
        "fr": "Cette facture ne peut pas être payée : elle est déjà payée ou un paiement est déjà en cours.",
    },
    "IDEMPOTENCY_KEY_REUSED": {
        "en": "This idempotency key was already used for a different request. Use a new key.",
        "fr": "Cette clé d'idempotence a déjà servi pour une autre demande. Utilisez une nouvelle clé.",
    },
    "idempotency_key_in_use": {
        "en": "A request with this idempotency key is still being processed. Please retry in a moment.",
        "fr": "Une demande avec cette clé d'idempotence est en cours de traitement. Réessayez dans un instant.",
    },
    "idempotency_key_invalid": {
        "en": "The idempotency key must be 1 to 255 printable characters.",
        "fr": "La clé d'idempotence doit contenir de 1 à 255 caractères imprimables.",
    },
    "invoice_ids_required": {
        "en": "Choose at least one invoice to pay.",
        "fr": "Choisissez au moins une facture à payer.",
    },
    "invoice_ids_too_many": {
        "en": "At most {max} invoices can be paid at once.",
        "fr": "Vous pouvez payer au plus {max} factures à la fois.",
    },
    "invoice_ids_repeated": {
        "en": "The same invoice is listed twice.",
        "fr": "La même facture figure deux fois.",
    },
    "payment_mixed_currencies": {
        "en": "Invoices in different currencies must be paid separately.",
        "fr": "Les factures dans des devises différentes doivent être payées séparément.",
    },
    "msisdn_required": {
        "en": "Enter the Orange Money number that will pay.",
        "fr": "Saisissez le numéro Orange Money qui va payer.",
    },
    "msisdn_invalid": {
        "en": "Enter an Orange Money number of Côte d'Ivoire: 10 digits starting with 01, 05 or 07, "
        "optionally preceded by +225.",
        "fr": "Saisissez un numéro Orange Money de Côte d'Ivoire : 10 chiffres commençant par 01, 05 ou 07, "
        "éventuellement précédés de +225.",
    },
    "card_required": {
        "en": "Enter the card to pay with.",
        "fr": "Saisissez la carte avec laquelle payer.",
    },
    "instructions_orange_money": {
        "en": "Approve the payment of {amount} on the phone {msisdn}: enter your Orange Money secret code "
        "when asked. Reference {reference}.",
        "fr": "Validez le paiement de {amount} sur le téléphone {msisdn} : saisissez votre code secret "
        "Orange Money lorsqu'il vous est demandé. Référence {reference}.",
    },
    "instructions_bank_transfer": {
        "en": "Wire {amount} to {account}, quoting the reference {reference}. The invoices show as paid "
        "once the bank confirms the transfer.",
        "fr": "Effectuez un virement de {amount} sur le compte {account} en indiquant la référence "
        "{reference}. Les factures passent à « Payé » dès que la banque confirme le virement.",
    },
    "payment_failed_insufficient_funds": {
        "en": "The payment failed: the balance is not sufficient. Check that your balance covers the amount, "
        "then try again, or contact customer service.",
        "fr": "Le paiement a échoué : le solde est insuffisant. Vérifiez que votre solde est suffisant, "
        "puis réessayez, ou contactez le service client.",
    },
    "payment_failed_card_declined": {
        "en": "The payment failed: it was declined. Try another means of payment or contact customer service.",
        "fr": "Le paiement a échoué : il a été refusé. Essayez un autre moyen de paiement ou contactez le "
        "service client.",
    },
    "payment_failed_cancelled": {
        "en": "The payment was cancelled before it was approved. The invoices can be paid again.",
        "fr": "Le paiement a été annulé avant d'être validé. Les factures peuvent être payées à nouveau.",
    },
    "payment_failed_expired": {
        "en": "The payment was not confirmed in time and has expired. The invoices can be paid again.",
        "fr": "Le paiement n'a pas été confirmé à temps et a expiré. Les factures peuvent être payées à nouveau.",
    },
    "payment_failed_provider_error": {
        "en": "The payment failed. Try again later or contact customer service.",
        "fr": "Le paiement a échoué. Réessayez plus tard ou contactez le service client.",
    },
}
