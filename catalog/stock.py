"""The one way stock changes. Callers own the transaction; these helpers lock rows.

Locks are taken in primary-key order (`lock_products`) so two checkouts touching the same
products can never deadlock, and the database constraint `product_stock_not_negative` backs the
check below: even a buggy caller cannot sell stock that is not there.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Value, When

from catalog.errors import InsufficientStock
from catalog.models import Product, ProductEvent
from market.models import User
from market.shared.outbox import record_changes


def lock_products(ids: Iterable[int]) -> dict[int, Product]:
    """Lock product rows, in pk order, for the rest of the caller's transaction."""
    assert transaction.get_connection().in_atomic_block, "lock_products needs a transaction"
    rows = Product.objects.filter(pk__in=set(ids)).order_by("pk").select_for_update()
    return {p.pk: p for p in rows}


def stock_decrease(
    *, product: Product, quantity: Decimal, reason: str, actor: User | None = None
) -> Product:
    """Take `quantity` out of stock. Raises InsufficientStock (and changes nothing) when short.
    `product` must have been locked with `lock_products` in this transaction."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if product.stock_qty < quantity:
        raise InsufficientStock(product=product, requested=quantity)
    return _apply(product, -quantity, reason, actor)


def stock_decrease_many(
    *, items: list[tuple[Product, Decimal]], reason: str, actor: User | None = None
) -> None:
    """Take stock out of several products locked with `lock_products`, in three statements
    (one UPDATE, one batch of ProductEvents, one outbox batch) whatever their number.
    Raises InsufficientStock (and changes nothing) when any is short."""
    for product, quantity in items:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        if product.stock_qty < quantity:
            raise InsufficientStock(product=product, requested=quantity)
    if not items:
        return
    Product.objects.filter(pk__in=[p.pk for p, _q in items]).update(
        stock_qty=F("stock_qty")
        - Case(*(When(pk=p.pk, then=Value(q)) for p, q in items), output_field=DecimalField())
    )
    events = []
    for product, quantity in items:
        before = product.stock_qty
        product.stock_qty = before - quantity
        events.append(
            ProductEvent(
                product=product,
                actor=actor,
                action="stock",
                changes={"reason": reason, "before": str(before), "after": str(product.stock_qty)},
            )
        )
    ProductEvent.objects.bulk_create(events)
    # "in stock" is a search filter; a stock move is not a content edit (market.shared.pagecache)
    record_changes(entity="product", ids=[p.pk for p, _q in items], content=False)


def stock_increase(
    *, product: Product, quantity: Decimal, reason: str, actor: User | None = None
) -> Product:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return _apply(product, quantity, reason, actor)


def stock_set(
    *, product: Product, quantity: Decimal, reason: str, actor: User | None = None
) -> Product:
    if quantity < 0:
        raise InsufficientStock(product=product, requested=-quantity)
    return _apply(product, quantity - product.stock_qty, reason, actor)


def _apply(product: Product, delta: Decimal, reason: str, actor) -> Product:
    if delta == 0:
        return product
    Product.objects.filter(pk=product.pk).update(stock_qty=F("stock_qty") + delta)
    # The row is locked by the caller: the new stock is known without reading it back.
    before = product.stock_qty
    product.stock_qty = before + delta
    ProductEvent.objects.create(
        product=product,
        actor=actor,
        action=ProductEvent.Action.STOCK,
        changes={"reason": reason, "before": str(before), "after": str(product.stock_qty)},
    )
    record_changes(entity="product", ids=[product.pk], content=False)  # as stock_decrease_many
    return product
