"""Row locks for every path that touches orders and money, in ONE order, written once here.

    1. the webhook event row (unique per provider event; only duplicates of it wait)
    2. cart, then cart lines                     (checkout only)
    3. payments, in pk order                     (a card checkout's payment, or an order's own)
    4. orders, in pk order
    5. refunds, in pk order
    6. order lines
    7. products (`catalog.stock.lock_products`, pk order)
    8. ledger accounts (`ledger.services`; payouts only; postings are inserts and lock nothing)

Checkout, webhooks, expiry, cancellation, refunds and payouts all take their locks through these
helpers, so two of them can only wait for each other, never deadlock: the Stripe webhook locks the
payment then its orders; a cancellation or expiry of a card order locks the same payment first,
then the order; a refund settling (Stripe answered) and the refund webhook both lock payment,
order, refund.

Every lock is `select_for_update(of=("self",))`: a joined row (select_related) is read, never
locked. The helpers need the caller's transaction."""

from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet

from orders.errors import NotFound
from orders.models import Order, OrderLine, Payment, PaymentMethod, Refund

_M = TypeVar("_M", bound=Model)


def _for_update(qs: QuerySet[_M]) -> QuerySet[_M]:
    assert transaction.get_connection().in_atomic_block, "locks need a transaction"
    return qs.select_for_update(of=("self",))


def lock_payments_of_checkout(checkout_id: int) -> list[Payment]:
    """Lock every payment of a checkout (pk order)."""
    return list(_for_update(Payment.objects.filter(checkout_id=checkout_id).order_by("pk")))


def lock_payments_of_order(order_id: int) -> list[Payment]:
    """Lock the payments that pay for an order, before the order itself: the checkout's card
    payment (it pays for every order of the checkout), or the order's own bank-transfer / cash
    payment. Raises NotFound when the order does not exist."""
    ref = Order.objects.filter(pk=order_id).values("checkout_id", "payment_method").first()
    if ref is None:
        raise NotFound()
    if ref["payment_method"] == PaymentMethod.STRIPE:
        qs = Payment.objects.filter(checkout_id=ref["checkout_id"], provider=PaymentMethod.STRIPE)
    else:
        qs = Payment.objects.filter(order_id=order_id)
    return list(_for_update(qs.order_by("pk")))


def lock_payment_by(**filters: Any) -> Payment | None:
    """Lock one payment found by `filters` (the webhook: by intent id or checkout)."""
    return _for_update(Payment.objects.filter(**filters).order_by("pk")).first()


def lock_order(order_id: int) -> Order:
    """Lock one order (its payments must be locked first: `lock_order_and_payments`)."""
    order = _for_update(Order.objects.filter(pk=order_id)).first()
    if order is None:
        raise NotFound()
    return order


def lock_order_and_payments(order_id: int) -> Order:
    """Payments, then the order: the entry of every order move, payment and refund."""
    lock_payments_of_order(order_id)
    return lock_order(order_id)


def lock_orders_of_checkout(checkout_id: int) -> list[Order]:
    """Lock a checkout's orders in pk order (after its payment)."""
    return list(_for_update(Order.objects.filter(checkout_id=checkout_id).order_by("pk")))


def lock_refund(refund_id: int) -> Refund:
    """Lock a refund (after its payment and order)."""
    return _for_update(Refund.objects.filter(pk=refund_id)).get()


def lock_refund_with_parents(refund_id: int) -> tuple[Order, Refund]:
    """Payment, order, refund, in the lock order, for a refund found by id.
    Raises NotFound when it does not exist."""
    ref = Refund.objects.filter(pk=refund_id).values("order_id").first()
    if ref is None:
        raise NotFound()
    order = lock_order_and_payments(ref["order_id"])
    return order, lock_refund(refund_id)


def lock_order_lines(order: Order) -> QuerySet[OrderLine]:
    """Lock an order's lines (after the order)."""
    return _for_update(order.lines.order_by("pk"))
