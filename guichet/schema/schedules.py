"""Instalment plans (échéanciers) as FLOA Pay's customers see them, and the two mutations on them."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from guichet.domain import models
from guichet.domain.ids import decode_id, to_global_id
from guichet.domain.schedules import rules
from guichet.domain.schedules.collect import collections_phone
from guichet.domain.schedules.services import ScheduleView
from guichet.i18n import render
from guichet.resolvers import schedules as resolvers
from guichet.resolvers.context import Info
from guichet.schema.cards import Card, CardInput
from guichet.schema.common import Action, Module, Money, UserError
from guichet.schema.payloads import payload_mutation
from guichet.schema.payments import Payment
from guichet.schema.permissions import decided, input_object, requires
from guichet.schema.relay import Connection, Node


@strawberry.enum(description="Where a plan stands.")
class ScheduleStatus(Enum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    UNPAID = "UNPAID"
    IN_REGULARISATION = "IN_REGULARISATION"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="PENDING « en cours », PAID « réglé », UNPAID « impayé », CANCELLED « supprimé ».")
class InstallmentStatus(Enum):
    PENDING = "PENDING"
    PAID = "PAID"
    UNPAID = "UNPAID"
    CANCELLED = "CANCELLED"


@strawberry.enum(
    description="ORIGINAL: a part of the purchase; REGULARISATION: a part of an unpaid debt being settled."
)
class InstallmentKind(Enum):
    ORIGINAL = "ORIGINAL"
    REGULARISATION = "REGULARISATION"


@strawberry.type(description="One debit of a plan (« prélèvement »).")
class Installment:
    number: int = strawberry.field(description="Its number in the plan, from 1 (« Prélèvement n°1 »).")
    due_date: date = strawberry.field(description="When the card is debited (indicative: it may move by 1 or 2 days).")
    amount: Money = strawberry.field(description="The amount debited; the first one includes the fees.")
    status: InstallmentStatus = strawberry.field(description="PENDING, PAID, UNPAID or CANCELLED.")
    kind: InstallmentKind = strawberry.field(description="A part of the purchase, or of a regularisation.")


@strawberry.type(description="A way to settle the unpaid debt in 1, 2 or 3 payments, the first one today.")
class RegularisationOption:
    installment_count: int = strawberry.field(description="How many payments: 1, 2 or 3, 30 days apart.")
    amounts: list[Money] = strawberry.field(description="One amount per payment; they add up to the debt exactly.")


@strawberry.type(description="An instalment plan (« échéancier »): an order paid by card in several debits.")
class Schedule(Node):
    order_number: str = strawberry.field(description="The order number (« N° de commande »).")
    merchant_name: str = strawberry.field(description="The merchant's name (« enseigne »).")
    purchase_amount: Money = strawberry.field(description="The amount of the purchase, fees excluded.")
    purchase_date: date = strawberry.field(description="The day of the purchase (the first debit's day).")
    fees: Money = strawberry.field(description="Fees (« frais de dossier »), collected with the first instalment.")
    status: ScheduleStatus = strawberry.field(description="Where the plan stands.")
    installments: list[Installment] = strawberry.field(
        description="Every debit, in order: the purchase's, then any regularisation's."
    )
    card: Card | None = strawberry.field(description="The card the plan is debited on: brand, last 4, expiry only.")
    outstanding_amount: Money = strawberry.field(description="Unpaid debt still to regularise.")
    amount_regularised: Money = strawberry.field(description="What regularisation payments have paid so far.")
    cancelled_amount: Money = strawberry.field(description="What the merchant cancelled (partial or total).")
    can_change_card: bool = strawberry.field(
        description="The card may change now: not unpaid, and the next debit is at least 7 days away."
    )
    regularisation_options: list[RegularisationOption] = strawberry.field(
        description="Ways to settle the outstanding debt in 1, 2 or 3 payments; empty when nothing is owed."
    )
    pk: strawberry.Private[int]

    @classmethod
    def of(cls, v: ScheduleView) -> Schedule:
        s = v.schedule
        currency = s.currency
        return cls(
            id=strawberry.ID(to_global_id("Schedule", s.id)),
            order_number=s.order_number,
            merchant_name=s.merchant_name,
            purchase_amount=Money.of(s.purchase_amount_minor, currency),
            purchase_date=s.purchase_date,
            fees=Money.of(s.fees_minor, currency),
            status=ScheduleStatus(v.status),
            installments=[
                Installment(
                    number=i.number,
                    due_date=i.due_date,
                    amount=Money.of(i.amount_minor, currency),
                    status=InstallmentStatus(rules.displayed_status(i.status)),
                    kind=InstallmentKind(i.kind),
                )
                for i in v.installments
            ],
            card=Card.of(v.card) if v.card is not None else None,
            outstanding_amount=Money.of(v.outstanding_minor, currency),
            amount_regularised=Money.of(v.regularised_minor, currency),
            cancelled_amount=Money.of(s.cancelled_minor, currency),
            can_change_card=v.can_change_card,
            regularisation_options=[
                RegularisationOption(installment_count=n, amounts=[Money.of(a, currency) for a in amounts])
                for n, amounts in v.options
            ],
            pk=s.id,
        )


@strawberry.input(description="Which plans to list.")
class ScheduleFilter:
    status: list[ScheduleStatus] | None = strawberry.field(default=None, description="Only plans in these statuses.")


ScheduleConnection = Connection[Schedule]


@strawberry.input(description="A new card for a plan.")
class ChangeScheduleCardInput:
    schedule_id: strawberry.ID = strawberry.field(description="The plan.")
    card: CardInput = strawberry.field(description="Visa or Mastercard, valid through the last scheduled debit.")


@strawberry.type(description="The plan with its new card, or why the card could not change.")
class ChangeScheduleCardPayload:
    schedule: Schedule | None = strawberry.field(description="The plan, with its new card; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="SCHEDULE_UNPAID, DEBIT_ALREADY_SCHEDULED, CARD_INVALID, CARD_BRAND_NOT_ACCEPTED, "
        "CARD_EXPIRES_TOO_SOON, NOT_FOUND..."
    )


@strawberry.input(description="Settle an unpaid debt in 1, 2 or 3 payments, the first one now.")
class RegulariseScheduleInput:
    schedule_id: strawberry.ID = strawberry.field(description="The unpaid plan.")
    installment_count: int = strawberry.field(description="1, 2 or 3 payments, 30 days apart.")
    card: CardInput | None = strawberry.field(
        default=None, description="A card to pay with (and keep for the next parts); the card on file when absent."
    )
    idempotency_key: str = strawberry.field(
        description="Required. Retrying with the same key returns the first result and never charges twice."
    )


@strawberry.type(
    description="The outcome of a regularisation. A declined card is not an error: `message` says so with the "
    "collections phone number, `payment` is FAILED, and the plan is unchanged."
)
class RegulariseSchedulePayload:
    schedule: Schedule | None = strawberry.field(description="The plan after the payment; null when refused.")
    payment: Payment | None = strawberry.field(description="The card payment of the first part (SUCCEEDED or FAILED).")
    succeeded: bool | None = strawberry.field(
        description="True when the first payment was accepted, false when declined; null when refused."
    )
    message: str | None = strawberry.field(
        description="What to tell the customer, e.g. « Votre paiement de 53,06 € a bien été accepté et nous vous en "
        "remercions. » or « Votre paiement de 38,58 € a été rejeté, vous pouvez nous contacter au 08 90 39 24 18 »."
    )
    errors: list[UserError] = strawberry.field(
        description="INSTALLMENT_COUNT_NOT_ALLOWED, NOTHING_TO_REGULARISE, IDEMPOTENCY_KEY_REUSED, card errors..."
    )


# The organisation of the plan named by input.scheduleId, for the declared permissions below.
_input_schedule = input_object("scheduleId", "Schedule", models.Schedule)


def _schedule_pk(schedule_id: strawberry.ID) -> int:
    return decode_id(schedule_id, "Schedule", field=["input", "scheduleId"])


def _message(outcome: resolvers.RegularisationResult, info: Info) -> str:
    """What to tell the customer about the first payment, in the request's language."""
    locale = info.context.locale
    amount = outcome.amount.format(locale)
    if outcome.succeeded:
        key = "regularisation_accepted_cleared" if outcome.cleared else "regularisation_accepted"
        return render(key, locale, {"amount": amount})
    phone = collections_phone(info.context.settings)
    return render("regularisation_declined", locale, {"amount": amount, "phone": phone})


@strawberry.type(description="Changes to instalment plans.")
class Mutation:
    @payload_mutation(
        description="Put a new card on a plan (module SCHEDULES, WRITE). Refused while the plan is unpaid and "
        "when the next debit is less than 7 days away.",
        extensions=[requires(Module.SCHEDULES, Action.WRITE, organisation=_input_schedule)],
    )
    async def change_schedule_card(self, info: Info, input: ChangeScheduleCardInput) -> ChangeScheduleCardPayload:
        view = await resolvers.change_schedule_card(
            info.context,
            schedule_pk=_schedule_pk(input.schedule_id),
            decision=decided(info),
            card=input.card.to_details(),
        )
        return ChangeScheduleCardPayload(schedule=Schedule.of(view), errors=[])

    @payload_mutation(
        description="Settle a plan's unpaid debt in 1, 2 or 3 payments, the first one now by card "
        "(module SCHEDULES, PAY).",
        extensions=[requires(Module.SCHEDULES, Action.PAY, organisation=_input_schedule)],
    )
    async def regularise_schedule(self, info: Info, input: RegulariseScheduleInput) -> RegulariseSchedulePayload:
        outcome = await resolvers.regularise_schedule(
            info.context,
            schedule_pk=_schedule_pk(input.schedule_id),
            decision=decided(info),
            installment_count=input.installment_count,
            card=input.card.to_details() if input.card is not None else None,
            idempotency_key=input.idempotency_key,
        )
        return RegulariseSchedulePayload(
            schedule=Schedule.of(outcome.schedule),
            payment=Payment.for_reader(outcome.payment, info) if outcome.payment is not None else None,
            succeeded=outcome.succeeded,
            message=_message(outcome, info),
            errors=[],
        )
