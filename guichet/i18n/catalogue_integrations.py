"""Messages of API keys, cost limits, rate limits and trusted documents."""

MESSAGES: dict[str, dict[str, str]] = {
    "ACTION_NOT_ALLOWED_FOR_API_KEY": {
        "en": "An API key may hold READ and EXPORT only ({module} {action} refused).",
        "fr": "Une clé d'API ne peut détenir que READ et EXPORT ({module} {action} refusé).",
    },
    "api_key_name_invalid": {
        "en": "Give the key a name of 1 to 100 characters.",
        "fr": "Donnez à la clé un nom de 1 à 100 caractères.",
    },
    "api_key_expiry_invalid": {
        "en": "A key expires in the future, at most 365 days ahead.",
        "fr": "Une clé expire dans le futur, au plus 365 jours plus tard.",
    },
    "api_key_documents_invalid": {
        "en": "Give at most 100 trusted-document ids, each sha256:<64 hex digits>.",
        "fr": "Donnez au plus 100 identifiants de documents de confiance, chacun sha256:<64 chiffres hexadécimaux>.",
    },
    "api_key_grace_invalid": {
        "en": "The old secret may stay valid 0 to 72 hours.",
        "fr": "L'ancien secret peut rester valable de 0 à 72 heures.",
    },
    "api_key_not_active": {
        "en": "This key is revoked or expired.",
        "fr": "Cette clé est révoquée ou expirée.",
    },
    "api_key_permission_not_held": {
        "en": "You cannot give a key {module} {action}: you do not hold it there yourself.",
        "fr": "Vous ne pouvez pas donner {module} {action} à une clé : vous ne le détenez pas vous-même ici.",
    },
    "api_key_permissions_empty": {
        "en": "Give the key at least one permission.",
        "fr": "Donnez au moins une permission à la clé.",
    },
    "api_key_forbidden": {
        "en": "An API key cannot do this: sign in as a person.",
        "fr": "Une clé d'API ne peut pas faire cela : connectez-vous en tant que personne.",
    },
    "api_key_email_subject": {
        "en": "API key {event}: {name}",
        "fr": "Clé d'API {event} : {name}",
    },
    "api_key_email_body": {
        "en": 'The API key "{name}" ({prefix}…) of {organisation} was {event} by {actor} on {at}.\n\n'
        "If you did not expect this, revoke the key in the portal.",
        "fr": "La clé d'API « {name} » ({prefix}…) de {organisation} a été {event} par {actor} le {at}.\n\n"
        "Si vous ne vous y attendiez pas, révoquez la clé dans le portail.",
    },
    "api_key_event_created": {"en": "created", "fr": "créée"},
    "api_key_event_rotated": {"en": "rotated", "fr": "renouvelée"},
    "api_key_event_revoked": {"en": "revoked", "fr": "révoquée"},
    "QUERY_TOO_COMPLEX": {
        "en": "This operation costs {cost} points; at most {maximum} are allowed. Ask for fewer items.",
        "fr": "Cette opération coûte {cost} points ; {maximum} au plus sont permis. Demandez moins d'éléments.",
    },
    "THROTTLED": {
        "en": "Too many requests: retry in {seconds} seconds.",
        "fr": "Trop de requêtes : réessayez dans {seconds} secondes.",
    },
    "REQUEST_TIMEOUT": {
        "en": "The operation took too long and was stopped: ask for less at once.",
        "fr": "L'opération a pris trop de temps et a été arrêtée : demandez-en moins à la fois.",
    },
    "PERSISTED_QUERY_NOT_FOUND": {
        "en": "PersistedQueryNotFound",
        "fr": "PersistedQueryNotFound",
    },
    "OPERATION_NOT_ALLOWLISTED": {
        "en": "Only trusted documents may run here.",
        "fr": "Seuls les documents de confiance peuvent être exécutés ici.",
    },
    "persisted_query_hash_mismatch": {
        "en": "provided sha does not match query",
        "fr": "provided sha does not match query",
    },
    "WEBHOOK_URL_NOT_ALLOWED": {
        "en": "This URL cannot receive webhooks: use https and a host with public addresses only.",
        "fr": "Cette URL ne peut pas recevoir de webhooks : utilisez https et un hôte aux adresses publiques uniquement.",
    },
    "webhook_url_not_https": {
        "en": "Give an https URL without credentials (https://host/path).",
        "fr": "Donnez une URL https sans identifiants (https://hôte/chemin).",
    },
    "webhook_url_unresolved": {
        "en": "This URL's host does not resolve to any address.",
        "fr": "L'hôte de cette URL ne correspond à aucune adresse.",
    },
    "webhook_url_not_public": {
        "en": "This URL's host resolves to a private, loopback, link-local or reserved address: webhooks go "
        "to public addresses only.",
        "fr": "L'hôte de cette URL correspond à une adresse privée, locale, de lien local ou réservée : les "
        "webhooks ne vont qu'à des adresses publiques.",
    },
    "WEBHOOK_ENDPOINT_LIMIT_REACHED": {
        "en": "Your organisation already has {max} webhook endpoints: delete one first.",
        "fr": "Votre organisation a déjà {max} points de réception de webhooks : supprimez-en un d'abord.",
    },
    "webhook_event_types_empty": {
        "en": "Choose at least one event type.",
        "fr": "Choisissez au moins un type d'événement.",
    },
    "webhook_description_too_long": {
        "en": "A description has at most 500 characters.",
        "fr": "Une description compte au plus 500 caractères.",
    },
    "webhook_disabled_reason": {
        "en": "Deliveries failed for 3 days (last: {reason}).",
        "fr": "Les envois ont échoué pendant 3 jours (dernier : {reason}).",
    },
    "webhook_disabled_email_subject": {
        "en": "Webhook endpoint disabled: {url}",
        "fr": "Point de réception de webhooks désactivé : {url}",
    },
    "webhook_disabled_email_body": {
        "en": "Deliveries to the webhook endpoint {url} of {organisation} failed for 3 days (last: {reason}).\n"
        "The endpoint is now DISABLED and receives no more events. Fix the receiver, then send it a test "
        "(sendTestWebhook): a successful delivery enables it again. Events of the last 30 days can be read "
        "with `events`, and any delivery sent again with redeliverWebhook.",
        "fr": "Les envois vers le point de réception {url} de {organisation} ont échoué pendant 3 jours "
        "(dernier : {reason}).\nIl est désormais DISABLED et ne reçoit plus d'événements. Réparez le "
        "récepteur, puis envoyez-lui un test (sendTestWebhook) : un envoi réussi le réactive. Les événements "
        "des 30 derniers jours se lisent avec `events`, et tout envoi peut être refait avec redeliverWebhook.",
    },
}
