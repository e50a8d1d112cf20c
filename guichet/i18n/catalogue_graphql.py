"""Messages of request errors: the common parse and validation errors of graphql-core, and our limits.

The English texts are graphql-core's own (schema/request_errors.py recognises them and fills the
French ones with the same values); keys start with `graphql_`.
"""

MESSAGES: dict[str, dict[str, str]] = {
    "graphql_validation_hidden": {"en": "Query validation error.", "fr": "Erreur de validation de la requête."},
    "graphql_unknown_field": {
        "en": "Cannot query field '{field}' on type '{type}'.{hint}",
        "fr": "Le champ '{field}' n'existe pas sur le type '{type}'.{hint}",
    },
    "graphql_unknown_argument": {
        "en": "Unknown argument '{argument}' on field '{field}'.{hint}",
        "fr": "L'argument '{argument}' n'existe pas sur le champ '{field}'.{hint}",
    },
    "graphql_missing_argument": {
        "en": "Argument '{argument}' of type '{type}' is required, but it was not provided.",
        "fr": "L'argument '{argument}' de type '{type}' est obligatoire, mais il n'a pas été fourni.",
    },
    "graphql_missing_input_field": {
        "en": "Expected value of type '{type}' to include required field '{field}', found: {found}.",
        "fr": "La valeur de type '{type}' doit contenir le champ obligatoire '{field}' ; reçu : {found}.",
    },
    "graphql_unknown_input_field": {
        "en": "Expected value of type '{type}' not to include unknown field '{field}'.{hint} Found: {found}.",
        "fr": "La valeur de type '{type}' contient le champ inconnu '{field}'.{hint} Reçu : {found}.",
    },
    "graphql_unknown_enum_value": {
        "en": "Value '{value}' does not exist in '{enum}' enum.{hint}",
        "fr": "La valeur '{value}' n'existe pas dans l'énumération '{enum}'.{hint}",
    },
    "graphql_unknown_type": {"en": "Unknown type '{type}'.{hint}", "fr": "Le type '{type}' est inconnu.{hint}"},
    "graphql_missing_selection": {
        "en": "Field '{field}' of type '{type}' must have a selection of subfields.{hint}",
        "fr": "Le champ '{field}' de type '{type}' doit sélectionner des sous-champs.{hint}",
    },
    "graphql_no_selection_allowed": {
        "en": "Field '{field}' must not have a selection since type '{type}' has no subfields.",
        "fr": "Le champ '{field}' ne peut pas avoir de sélection : le type '{type}' n'a pas de sous-champs.",
    },
    "graphql_variable_invalid": {
        "en": "Variable '${name}' has invalid value{at}: {reason}",
        "fr": "La variable '${name}' a une valeur invalide{at} : {reason}",
    },
    "graphql_variable_unused": {
        "en": "Variable '${name}' is never used.",
        "fr": "La variable '${name}' n'est pas utilisée.",
    },
    "graphql_variable_undefined": {
        "en": "Variable '${name}' is not defined.",
        "fr": "La variable '${name}' n'est pas déclarée.",
    },
    "graphql_unknown_fragment": {"en": "Unknown fragment '{name}'.", "fr": "Le fragment '{name}' est inconnu."},
    "graphql_unused_fragment": {
        "en": "Fragment '{name}' is never used.",
        "fr": "Le fragment '{name}' n'est pas utilisé.",
    },
    "graphql_fragment_cycle": {
        "en": "Cannot spread fragment '{name}' within itself{via}.",
        "fr": "Le fragment '{name}' ne peut pas s'inclure lui-même{via}.",
    },
    "graphql_unknown_directive": {"en": "Unknown directive '{name}'.", "fr": "La directive '{name}' est inconnue."},
    "graphql_introspection_disabled": {
        "en": "GraphQL introspection has been disabled, but the requested query contained the field '{field}'.",
        "fr": "L'introspection GraphQL est désactivée, mais la requête contient le champ '{field}'.",
    },
    "graphql_too_deep": {
        "en": "'{operation}' exceeds maximum operation depth of {max}",
        "fr": "L'opération '{operation}' dépasse la profondeur maximale de {max}.",
    },
    "graphql_too_many_aliases": {
        "en": "{count} aliases found. Allowed: {max}",
        "fr": "{count} alias trouvés ; {max} au plus sont permis.",
    },
    "graphql_too_many_fields": {
        "en": "'{operation}' selects {count} fields once fragments are expanded. Allowed: {max}",
        "fr": "L'opération '{operation}' sélectionne {count} champs une fois les fragments développés ; "
        "{max} au plus sont permis.",
    },
    "graphql_too_many_tokens": {
        "en": "Syntax Error: Document contains more than {max} tokens. Parsing aborted.",
        "fr": "Erreur de syntaxe : le document contient plus de {max} jetons ; analyse interrompue.",
    },
    "graphql_syntax": {"en": "Syntax Error: {detail}", "fr": "Erreur de syntaxe : {detail}"},
    "graphql_nul_in_text": {
        "en": "Text may not contain the NUL character (U+0000).",
        "fr": "Un texte ne peut pas contenir le caractère NUL (U+0000).",
    },
    "graphql_nul_in_variable": {
        "en": "Variable '${name}' may not contain the NUL character (U+0000).",
        "fr": "La variable '${name}' ne peut pas contenir le caractère NUL (U+0000).",
    },
    "graphql_hint": {"en": " Did you mean {options}?", "fr": " Vouliez-vous dire {options} ?"},
    "graphql_hint_or": {"en": " or ", "fr": " ou "},
    "graphql_hint_enum_value": {"en": "the enum value ", "fr": "la valeur "},
}
