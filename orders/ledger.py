"""How order money posts to the ledger (orders → ledger; the ledger knows nothing of orders).

One rule per money event, each a balanced transaction posted in the event's database
transaction, idempotent by a key derived from our ids:

| event (key) | legs (+ debit / − credit) |
|---|---|
| card charge for an order (`order:{id}:paid`) | Stripe balance +P, coop pending −P |
| bank transfer / COD confirmed, paid to the coop directly (`order:{id}:paid`) | coop direct +P, coop pending −P |
| refund queued (`refund:{id}:queued`) | X +r, refunds owed −r; X = coop pending before release, after release coop payable (card) or coop direct |
| refund paid (`refund:{id}:paid`) | refunds owed +r, Stripe balance −r (card) or coop direct −r (the coop paid it back) |
| refund failed (`refund:{id}:reversed`) | the queued legs reversed |
| release: COMPLETED, or N days after DELIVERED (`order:{id}:release`) | coop pending +H, coop payable −H (card) or coop direct −H |
| commission, at release (`order:{id}:commission`) | coop payable +C (card) or coop receivable +C (direct), commission revenue −C |

P = amount received, H = what is held at release (P minus refunds so far), C = the order's
commission (at most H). USD card charges are booked in VND at the checkout's rate (the orders'
VND totals). `expected_legs` recomputes the same legs from orders and refunds for
`manage.py ledger_check`; a missing, doubled or altered posting shows as drift."""

from collections.abc import Iterable

from django.utils import timezone

from ledger.models import Account, Transaction
from ledger.services import Leg, transaction_post
from market.models import User
from orders.models import Order, PaymentMethod, Refund

K = Account.Kind


def _received_into(order: Order) -> str:
    return K.PLATFORM_STRIPE if order.payment_method == PaymentMethod.STRIPE else K.COOP_DIRECT


def _released_into(order: Order) -> str:
    return K.COOP_PAYABLE if order.payment_method == PaymentMethod.STRIPE else K.COOP_DIRECT


def payment_legs(order: Order) -> list[Leg]:
    coop, paid = order.cooperative_id, order.amount_paid_vnd
    return [_leg(_received_into(order), paid, coop), _leg(K.COOP_PENDING, -paid, coop)]


def _is_card(order: Order) -> bool:
    return order.payment_method == PaymentMethod.STRIPE


def _leg(kind: str, amount: int, coop: int) -> Leg:
    return Leg(kind, amount, coop if kind in Account.COOPERATIVE_KINDS else None)


def refund_queued_legs(order: Order, refund: Refund) -> list[Leg]:
    coop = order.cooperative_id
    held_by = _released_into(order) if refund.after_release else K.COOP_PENDING
    return [_leg(held_by, refund.amount_vnd, coop), _leg(K.REFUNDS, -refund.amount_vnd, coop)]


def refund_paid_legs(order: Order, refund: Refund) -> list[Leg]:
    coop = order.cooperative_id
    return [
        _leg(K.REFUNDS, refund.amount_vnd, coop),
        _leg(_received_into(order), -refund.amount_vnd, coop),
    ]


def release_legs(order: Order) -> list[Leg]:
    coop = order.cooperative_id
    return [
        _leg(K.COOP_PENDING, order.released_vnd, coop),
        _leg(_released_into(order), -order.released_vnd, coop),
    ]


def commission_of(order: Order) -> int:
    return min(order.commission_vnd, order.released_vnd)


def commission_legs(order: Order) -> list[Leg]:
    coop, c = order.cooperative_id, commission_of(order)
    owes = K.COOP_PAYABLE if _is_card(order) else K.COOP_RECEIVABLE
    return [_leg(owes, c, coop), _leg(K.COMMISSION, -c, coop)]


# --- posting (inside the money event's transaction) ---


def _post(
    kind: str,
    key: str,
    order: Order,
    legs: list[Leg],
    memo: str = "",
    actor: User | None = None,
) -> Transaction | None:
    return transaction_post(
        kind=kind,
        key=key,
        legs=legs,
        cooperative_id=order.cooperative_id,
        reference=order.code or "",
        memo=memo,
        actor=actor,
    )


def post_payment(order: Order, *, actor: User | None = None) -> None:
    _post(
        Transaction.Kind.PAYMENT, f"order:{order.pk}:paid", order, payment_legs(order), actor=actor
    )


def post_payment_part(order: Order, *, amount_vnd: int, actor: User | None = None) -> None:
    """Part of an order's money arrived (export installments): the same legs as a payment, for
    the part. Keyed by the cumulative amount received, which only grows. Installments are booked
    as received by the cooperative (wire), like bank transfers."""
    if amount_vnd <= 0:
        return
    coop = order.cooperative_id
    legs = [_leg(_received_into(order), amount_vnd, coop), _leg(K.COOP_PENDING, -amount_vnd, coop)]
    key = f"order:{order.pk}:paid-to:{order.amount_paid_vnd}"
    _post(Transaction.Kind.PAYMENT, key, order, legs, actor=actor)


def post_refund_queued(order: Order, refund: Refund, *, actor: User | None = None) -> None:
    legs = refund_queued_legs(order, refund)
    _post(Transaction.Kind.REFUND, f"refund:{refund.pk}:queued", order, legs, refund.reason, actor)


def post_refund_paid(order: Order, refund: Refund, *, actor: User | None = None) -> None:
    legs = refund_paid_legs(order, refund)
    _post(Transaction.Kind.REFUND, f"refund:{refund.pk}:paid", order, legs, refund.reason, actor)


def post_refund_reversed(order: Order, refund: Refund) -> None:
    legs = [Leg(g.kind, -g.amount, g.cooperative_id) for g in refund_queued_legs(order, refund)]
    _post(Transaction.Kind.REFUND, f"refund:{refund.pk}:reversed", order, legs, refund.last_error)


def post_release(order: Order, *, actor: User | None = None) -> None:
    """Release what is held for `order` to its cooperative and charge the commission. The order
    is locked; `released_at` makes a second release impossible."""
    if order.released_at is not None:
        return
    refunded = order.refunds.exclude(status=Refund.Status.FAILED).values_list(
        "amount_vnd", flat=True
    )
    held = order.amount_paid_vnd - sum(refunded)
    order.released_at, order.released_vnd = timezone.now(), max(0, held)
    order.save(update_fields=["released_at", "released_vnd", "updated_at"])
    _post(
        Transaction.Kind.RELEASE,
        f"order:{order.pk}:release",
        order,
        release_legs(order),
        actor=actor,
    )
    _post(
        Transaction.Kind.COMMISSION,
        f"order:{order.pk}:commission",
        order,
        commission_legs(order),
        actor=actor,
    )


# --- recomputation for ledger_check ---


def expected_legs() -> Iterable[Leg]:
    """The legs every order and refund implies, from their own fields."""
    fields = (
        "pk",
        "cooperative_id",
        "payment_method",
        "amount_paid_vnd",
        "released_at",
        "released_vnd",
        "commission_vnd",
        "code",
    )
    orders: dict[int, Order] = {}
    for o in Order.objects.filter(amount_paid_vnd__gt=0).only(*fields).iterator(chunk_size=2000):
        orders[o.pk] = o
        yield from payment_legs(o)
        if o.released_at is not None:
            yield from release_legs(o)
            yield from commission_legs(o)
    refunds = Refund.objects.exclude(status=Refund.Status.FAILED).only(
        "order_id", "amount_vnd", "status", "after_release"
    )
    for r in refunds.iterator(chunk_size=2000):
        order = orders.get(r.order_id)
        if order is None:
            continue  # a refund of an order never paid: nothing was posted for it either
        yield from refund_queued_legs(order, r)
        if r.status == Refund.Status.SUCCEEDED:
            yield from refund_paid_legs(order, r)
