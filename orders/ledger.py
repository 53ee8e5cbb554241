"""How order money posts to the ledger (orders → ledger; the ledger knows nothing of orders).

One rule per money event, each a balanced transaction posted in the event's database
transaction, idempotent by a key derived from our ids:

| event (key) | legs (+ debit / − credit) |
|---|---|
| card charge for an order (`order:{id}:paid`) | Stripe balance +P, coop pending −P |
| bank transfer / COD confirmed, paid to the coop directly (`order:{id}:paid`) | coop direct +P, coop pending −P |
| export installment received (`order:{id}:paid-to:{cumulative}`) | Stripe balance +p (card) or coop direct +p (wire), coop pending −p |
| refund queued (`refund:{id}:queued`) | X +r, refunds owed −r; X = coop pending before release, after release coop payable (refund through Stripe) or coop direct |
| refund paid (`refund:{id}:paid`) | refunds owed +r, Stripe balance −r (through Stripe) or coop direct −r (the coop paid it back) |
| refund failed (`refund:{id}:reversed`) | the queued legs reversed |
| release: COMPLETED, or N days after DELIVERED (`order:{id}:release`) | coop pending +H, coop payable −Hc, coop direct −(H − Hc) |
| commission, at release (`order:{id}:commission`) | coop payable +min(C, Hc), coop receivable +the rest, commission revenue −C |
| commission given back on a refund after release (`refund:{id}:commission-back`; `…-reversed` if the refund fails) | commission revenue +b, coop payable −b·min(C, Hc)/C (rounded down), coop receivable −the rest: where the commission was taken from |

P = amount received, H = what is held at release (P minus refunds so far), Hc = the card money
in H (all of H for a card order, none for bank or cash, for installments the card part less
refunds through Stripe), C = the order's commission (at most H), b = C's share of a refund made
after release (`Refund.commission_back_vnd`: refunded goods carry no commission). A refund goes back the way its
payment came. USD card charges are booked in VND at the checkout's rate (the orders' VND
totals). `expected_legs` recomputes the same legs from orders and refunds for
`manage.py ledger_check`; a missing, doubled or altered posting shows as drift."""

from collections.abc import Iterable

from django.utils import timezone

from ledger.models import Account, Transaction
from ledger.services import Leg, transaction_post
from market.models import User
from orders.models import Order, PaymentMethod, Refund

K = Account.Kind


def _card_paid(order: Order) -> int:
    """The part of what was received that went to the platform's Stripe balance: all of a card
    order's money, the card installments of an export order, nothing of a bank or cash order."""
    if order.payment_method == PaymentMethod.STRIPE:
        return order.amount_paid_vnd
    if order.payment_method == PaymentMethod.INSTALLMENTS:
        return min(order.amount_paid_card_vnd, order.amount_paid_vnd)
    return 0


def _card_released(order: Order) -> int:
    """The part of what was released that is card money (payable by us)."""
    if order.payment_method == PaymentMethod.STRIPE:
        return order.released_vnd
    if order.payment_method == PaymentMethod.INSTALLMENTS:
        return min(order.released_card_vnd, order.released_vnd)
    return 0


def _by_card(refund: Refund) -> bool:
    """A refund goes back the way its payment came: through Stripe, or from the cooperative."""
    return refund.payment.provider == PaymentMethod.STRIPE


def payment_legs(order: Order) -> list[Leg]:
    coop, paid, card = order.cooperative_id, order.amount_paid_vnd, _card_paid(order)
    return [
        _leg(K.PLATFORM_STRIPE, card, coop),
        _leg(K.COOP_DIRECT, paid - card, coop),
        _leg(K.COOP_PENDING, -paid, coop),
    ]


def _leg(kind: str, amount: int, coop: int) -> Leg:
    return Leg(kind, amount, coop if kind in Account.COOPERATIVE_KINDS else None)


def refund_queued_legs(order: Order, refund: Refund) -> list[Leg]:
    coop = order.cooperative_id
    released_into = K.COOP_PAYABLE if _by_card(refund) else K.COOP_DIRECT
    held_by = released_into if refund.after_release else K.COOP_PENDING
    return [_leg(held_by, refund.amount_vnd, coop), _leg(K.REFUNDS, -refund.amount_vnd, coop)]


def refund_paid_legs(order: Order, refund: Refund) -> list[Leg]:
    coop = order.cooperative_id
    paid_from = K.PLATFORM_STRIPE if _by_card(refund) else K.COOP_DIRECT
    return [_leg(K.REFUNDS, refund.amount_vnd, coop), _leg(paid_from, -refund.amount_vnd, coop)]


def commission_back_legs(order: Order, refund: Refund) -> list[Leg]:
    """Given back where the commission was taken from at release (`commission_legs`): the
    payable's share of it (rounded down, so the parts given back to the payable never exceed
    what was taken from it), the rest off the receivable, whichever way the refund itself went."""
    coop, back, charged = order.cooperative_id, refund.commission_back_vnd, commission_of(order)
    if not back or not charged:
        return []
    to_payable = back * min(charged, _card_released(order)) // charged
    return [
        _leg(K.COMMISSION, back, coop),
        _leg(K.COOP_PAYABLE, -to_payable, coop),
        _leg(K.COOP_RECEIVABLE, -(back - to_payable), coop),
    ]


def release_legs(order: Order) -> list[Leg]:
    coop, held, card = order.cooperative_id, order.released_vnd, _card_released(order)
    return [
        _leg(K.COOP_PENDING, held, coop),
        _leg(K.COOP_PAYABLE, -card, coop),
        _leg(K.COOP_DIRECT, -(held - card), coop),
    ]


def commission_of(order: Order) -> int:
    return min(order.commission_vnd, order.released_vnd)


def commission_legs(order: Order) -> list[Leg]:
    """Taken from the card money we hold for the cooperative first; the rest (money it received
    directly) it owes us."""
    coop, c = order.cooperative_id, commission_of(order)
    from_payable = min(c, _card_released(order))
    return [
        _leg(K.COOP_PAYABLE, from_payable, coop),
        _leg(K.COOP_RECEIVABLE, c - from_payable, coop),
        _leg(K.COMMISSION, -c, coop),
    ]


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


def post_payment_part(
    order: Order, *, amount_vnd: int, by_card: bool, actor: User | None = None
) -> None:
    """Part of an order's money arrived (export installments): the same legs as a payment, for
    the part, into the platform's Stripe balance (a card installment) or to the cooperative
    directly (a wire). Keyed by the cumulative amount received, which only grows. The caller
    has added a card part to `order.amount_paid_card_vnd`."""
    if amount_vnd <= 0:
        return
    coop = order.cooperative_id
    into = K.PLATFORM_STRIPE if by_card else K.COOP_DIRECT
    legs = [_leg(into, amount_vnd, coop), _leg(K.COOP_PENDING, -amount_vnd, coop)]
    key = f"order:{order.pk}:paid-to:{order.amount_paid_vnd}"
    _post(Transaction.Kind.PAYMENT, key, order, legs, actor=actor)


def post_refund_queued(order: Order, refund: Refund, *, actor: User | None = None) -> None:
    legs = refund_queued_legs(order, refund)
    _post(Transaction.Kind.REFUND, f"refund:{refund.pk}:queued", order, legs, refund.reason, actor)
    if back := commission_back_legs(order, refund):
        key = f"refund:{refund.pk}:commission-back"
        _post(Transaction.Kind.COMMISSION, key, order, back, refund.reason, actor)


def post_refund_paid(order: Order, refund: Refund, *, actor: User | None = None) -> None:
    legs = refund_paid_legs(order, refund)
    _post(Transaction.Kind.REFUND, f"refund:{refund.pk}:paid", order, legs, refund.reason, actor)


def post_refund_reversed(order: Order, refund: Refund) -> None:
    legs = [Leg(g.kind, -g.amount, g.cooperative_id) for g in refund_queued_legs(order, refund)]
    _post(Transaction.Kind.REFUND, f"refund:{refund.pk}:reversed", order, legs, refund.last_error)
    if back := commission_back_legs(order, refund):
        legs = [Leg(g.kind, -g.amount, g.cooperative_id) for g in back]
        key = f"refund:{refund.pk}:commission-back-reversed"
        _post(Transaction.Kind.COMMISSION, key, order, legs, refund.last_error)


def post_release(order: Order, *, actor: User | None = None) -> None:
    """Release what is held for `order` to its cooperative and charge the commission. The order
    is locked; `released_at` makes a second release impossible."""
    if order.released_at is not None:
        return
    refunded = list(
        order.refunds.exclude(status=Refund.Status.FAILED).values_list(
            "amount_vnd", "payment__provider"
        )
    )
    held = max(0, order.amount_paid_vnd - sum(amount for amount, _ in refunded))
    card_refunded = sum(a for a, provider in refunded if provider == PaymentMethod.STRIPE)
    order.released_at, order.released_vnd = timezone.now(), held
    # the card money still held (what was charged less what went back through Stripe)
    order.released_card_vnd = max(0, min(held, _card_paid(order) - card_refunded))
    order.save(update_fields=["released_at", "released_vnd", "released_card_vnd", "updated_at"])
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
        "amount_paid_card_vnd",
        "released_card_vnd",
    )
    orders: dict[int, Order] = {}
    for o in Order.objects.filter(amount_paid_vnd__gt=0).only(*fields).iterator(chunk_size=2000):
        orders[o.pk] = o
        yield from payment_legs(o)
        if o.released_at is not None:
            yield from release_legs(o)
            yield from commission_legs(o)
    refunds = (
        Refund.objects.exclude(status=Refund.Status.FAILED)
        .select_related("payment")
        .only(
            "order_id",
            "amount_vnd",
            "status",
            "after_release",
            "commission_back_vnd",
            "payment__provider",
        )
    )
    for r in refunds.iterator(chunk_size=2000):
        order = orders.get(r.order_id)
        if order is None:
            continue  # a refund of an order never paid: nothing was posted for it either
        yield from refund_queued_legs(order, r)
        yield from commission_back_legs(order, r)
        if r.status == Refund.Status.SUCCEEDED:
            yield from refund_paid_legs(order, r)
