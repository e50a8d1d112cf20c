"""Messages of service requests and their attachments."""

MESSAGES: dict[str, dict[str, str]] = {
    "INVALID_STATUS_TRANSITION": {
        "en": "This request cannot make that change in its current status ({status}).",
        "fr": "Cette demande ne peut pas faire ce changement dans son statut actuel ({status}).",
    },
    "SERVICE_REQUEST_CLOSED": {
        "en": "This request is closed: open a new request that refers to it.",
        "fr": "Cette demande est clôturée : ouvrez une nouvelle demande qui y fait référence.",
    },
    "REOPEN_WINDOW_EXPIRED": {
        "en": "A resolution can be reopened within 7 days only: open a new request that refers to it.",
        "fr": "Une résolution ne peut être contestée que dans les 7 jours : ouvrez une nouvelle demande "
        "qui y fait référence.",
    },
    "ATTACHMENT_TOO_LARGE": {
        "en": "A file may not exceed {limit}.",
        "fr": "Un fichier ne peut pas dépasser {limit}.",
    },
    "ATTACHMENT_TYPE_NOT_ALLOWED": {
        "en": "Only PDF, PNG, JPEG, CSV and XLSX files are accepted, and a file must be of the type declared.",
        "fr": "Seuls les fichiers PDF, PNG, JPEG, CSV et XLSX sont acceptés, et un fichier doit être du type annoncé.",
    },
    "TOO_MANY_ATTACHMENTS": {
        "en": "At most {limit} files may be attached here.",
        "fr": "{limit} fichiers au plus peuvent être joints ici.",
    },
    "filename_invalid": {
        "en": "This file name is not valid.",
        "fr": "Ce nom de fichier n'est pas valide.",
    },
    "attachment_empty": {
        "en": "The file is empty.",
        "fr": "Le fichier est vide.",
    },
    "attachment_size_mismatch": {
        "en": "The file received is not the size announced.",
        "fr": "Le fichier reçu n'a pas la taille annoncée.",
    },
    "text_too_long": {
        "en": "At most {limit} characters.",
        "fr": "{limit} caractères au plus.",
    },
    "too_many_lines": {
        "en": "At most {limit} lines per request.",
        "fr": "{limit} lignes au plus par demande.",
    },
    "service_request_line_required": {
        "en": "This category needs the line concerned.",
        "fr": "Cette catégorie nécessite la ligne concernée.",
    },
    "service_request_invoice_required": {
        "en": "This category needs the invoice concerned.",
        "fr": "Cette catégorie nécessite la facture concernée.",
    },
}
