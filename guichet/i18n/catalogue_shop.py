"""Messages of the shop (catalogue, cart, checkout) and of orders."""

MESSAGES: dict[str, dict[str, str]] = {
    "OFFERING_NOT_AVAILABLE": {
        "en": "This item can no longer be ordered.",
        "fr": "Cet article ne peut plus être commandé.",
    },
    "QUANTITY_NOT_ALLOWED": {
        "en": "This quantity is not allowed: between {min} and {max}, by steps of {increment}.",
        "fr": "Cette quantité n'est pas permise : entre {min} et {max}, par multiples de {increment}.",
    },
    "CART_EMPTY": {
        "en": "The cart is empty.",
        "fr": "Le panier est vide.",
    },
    "CART_EXPIRED": {
        "en": "This cart expired after 7 days without change: fill a new one.",
        "fr": "Ce panier a expiré après 7 jours sans modification : remplissez-en un nouveau.",
    },
    "PRICE_CHANGED": {
        "en": "Prices changed since you saw the cart: the total is now {total}.",
        "fr": "Les prix ont changé depuis que vous avez vu le panier : le total est désormais de {total}.",
    },
    "ORDER_NOT_CANCELLABLE": {
        "en": "This order can no longer be cancelled ({status}).",
        "fr": "Cette commande ne peut plus être annulée ({status}).",
    },
    "ORDER_NOT_PENDING_APPROVAL": {
        "en": "This order is not waiting for approval ({status}).",
        "fr": "Cette commande n'attend pas d'approbation ({status}).",
    },
    "CANNOT_APPROVE_OWN_ORDER": {
        "en": "You cannot decide on an order you placed yourself.",
        "fr": "Vous ne pouvez pas statuer sur une commande que vous avez passée vous-même.",
    },
    "order_invalid_status_transition": {
        "en": "This order cannot make that change in its current status ({status}).",
        "fr": "Cette commande ne peut pas faire ce changement dans son statut actuel ({status}).",
    },
    "cart_checked_out": {
        "en": "This cart has already been ordered.",
        "fr": "Ce panier a déjà été commandé.",
    },
    "cart_other_account": {
        "en": "Your cart is for another billing account: order it or empty it first.",
        "fr": "Votre panier concerne un autre compte de facturation : commandez-le ou videz-le d'abord.",
    },
    "order_line_required": {
        "en": "This item must name one of the account's lines.",
        "fr": "Cet article doit désigner une des lignes du compte.",
    },
    "order_approver_role": {
        "en": "Only holders of the approval policy's role decide on orders.",
        "fr": "Seuls les titulaires du rôle de la règle d'approbation statuent sur les commandes.",
    },
    "order_payment_method_required": {
        "en": "Choose how to pay (method) to pay now.",
        "fr": "Choisissez un moyen de paiement (method) pour payer maintenant.",
    },
    "too_many_items": {
        "en": "At most {limit} items at once.",
        "fr": "{limit} articles au plus à la fois.",
    },
    "order_threshold_invalid": {
        "en": "The threshold is a positive amount in the organisation's currency.",
        "fr": "Le seuil est un montant positif dans la devise de l'organisation.",
    },
}
