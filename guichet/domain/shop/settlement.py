"""What paying an ORDER pending payment does to its order: AWAITING_PAYMENT becomes ACKNOWLEDGED.

Called by pending_payments.services.settle inside the payment's transaction (it never commits);
kept apart from the order services so that the pending-payment core imports no more of the shop.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.shop import Order
from guichet.domain.shop import moves
from guichet.domain.shop.transitions import Event, Status, allowed, transition

log = logging.getLogger("guichet.shop")


async def acknowledge_paid_order(session: AsyncSession, *, order_id: int, now: datetime) -> bool:
    """Move the paid order to ACKNOWLEDGED; False (and a log line) if it no longer waits for payment."""
    order = (
        await session.execute(select(Order).where(Order.id == order_id).execution_options(populate_existing=True))
    ).scalar_one_or_none()
    if order is None or not allowed(Status(order.status), Event.PAYMENT_RECEIVED):
        log.warning("order %s paid while not awaiting payment", order_id)
        return False
    target = transition(Status(order.status), Event.PAYMENT_RECEIVED)
    await moves.move(session, order, target, now=now, by_contact_id=None, note=None)
    await moves.audit(session, order, action="order.paid", actor_contact_id=None, now=now)
    return True
