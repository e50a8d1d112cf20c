"""Messages of the access area: members administration and its refusals."""

MESSAGES: dict[str, dict[str, str]] = {
    "ROLE_NOT_GRANTABLE": {
        "en": "You can only grant a role over a scope that you hold yourself.",
        "fr": "Vous ne pouvez attribuer qu'un rôle, sur un périmètre, que vous détenez vous-même.",
    },
    "permission_not_grantable": {
        "en": "You can only grant {module} {action} if you hold it yourself.",
        "fr": "Vous ne pouvez accorder {module} {action} que si vous le détenez vous-même.",
    },
    "CANNOT_MANAGE_ADMIN": {
        "en": "Only the primary administrator manages administrators.",
        "fr": "Seul l'administrateur principal gère les administrateurs.",
    },
    "primary_admin_protected": {
        "en": "The primary administrator can only be changed by customer service.",
        "fr": "L'administrateur principal ne peut être modifié que par le service client.",
    },
    "own_access": {
        "en": "You cannot change your own access.",
        "fr": "Vous ne pouvez pas modifier vos propres accès.",
    },
    "ALREADY_MEMBER": {
        "en": "This person is already a member or already has a pending invitation.",
        "fr": "Cette personne est déjà membre ou a déjà une invitation en attente.",
    },
    "invitation_closed": {
        "en": "This invitation has already been accepted or revoked.",
        "fr": "Cette invitation a déjà été acceptée ou révoquée.",
    },
    "member_not_disabled": {
        "en": "This member is not disabled.",
        "fr": "Ce membre n'est pas désactivé.",
    },
    "invitation_email_subject": {
        "en": "You are invited to {organisation} on Guichet",
        "fr": "Vous êtes invité(e) à rejoindre {organisation} sur Guichet",
    },
    "invitation_email_body": {
        "en": "Hello,\n\nYou are invited to join {organisation}. Open this link within 7 days to accept:\n\n"
        "{link}\n\nIf you did not expect this invitation, ignore this message.\n",
        "fr": "Bonjour,\n\nVous êtes invité(e) à rejoindre {organisation}. Ouvrez ce lien dans les 7 jours pour "
        "accepter :\n\n{link}\n\nSi vous n'attendiez pas cette invitation, ignorez ce message.\n",
    },
}
