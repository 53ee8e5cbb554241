"""Cart services: lines respect MOQ, order step, divisibility, stock and purchasability; prices
always come from the database, and a refresh explains to the buyer what changed."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from catalog.units import is_divisible
from market.models import User
from market.shared.compiled import instances_for_ids
from orders import money
from orders.errors import (
    BelowMinimumOrder,
    NotDivisible,
    NotPurchasable,
    OffOrderStep,
    OutOfStock,
    QuantityInvalid,
)
from orders.models import Cart, CartLine


@dataclass
class PricedLine:
    line: CartLine
    product: Product
    quantity: Decimal
    unit_price_vnd: int
    line_total_vnd: int


@dataclass
class CartView:
    cart: Cart | None
    lines: list[PricedLine] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def subtotal_vnd(self) -> int:
        return sum(p.line_total_vnd for p in self.lines)


def _fmt(q: Decimal) -> str:
    return f"{q.normalize():f}"


def quantity_parse(value: object) -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise QuantityInvalid(fields={"quantity": [_("Enter a number.")]})
    # The size check comes before quantize(), which raises InvalidOperation on e.g. 1e400.
    if not q.is_finite() or q <= 0 or q >= Decimal("1e11") or q != q.quantize(Decimal("0.001")):
        raise QuantityInvalid(
            fields={"quantity": [_("Enter a positive quantity with at most 3 decimals.")]}
        )
    return q


def quantity_validate(*, product: Product, quantity: Decimal) -> None:
    """Raise a specific error unless `quantity` may be ordered (MOQ, step, divisibility)."""
    if not is_divisible(product.unit) and quantity != quantity.to_integral_value():
        raise NotDivisible(fields={"quantity": [_("Whole units only.")]})
    if quantity < product.min_order_qty:
        raise BelowMinimumOrder(
            _("The minimum order is %(moq)s %(unit)s.")
            % {"moq": _fmt(product.min_order_qty), "unit": product.get_unit_display()},
            fields={"quantity": [_fmt(product.min_order_qty)]},
        )
    if quantity % product.order_step != 0:
        raise OffOrderStep(
            _("Order in multiples of %(step)s %(unit)s.")
            % {"step": _fmt(product.order_step), "unit": product.get_unit_display()},
            fields={"quantity": [_fmt(product.order_step)]},
        )


def product_check_purchasable(product: Product) -> None:
    if not product.is_purchasable or product.price_vnd is None:
        raise NotPurchasable(
            _("“%(name)s” cannot be bought right now.") % {"name": product.name_vi},
            fields={"product_id": product.pk},
        )


def stock_check(product: Product, quantity: Decimal) -> None:
    if quantity > product.stock_qty:
        raise OutOfStock(
            _("Only %(available)s %(unit)s of “%(name)s” left.")
            % {
                "available": _fmt(product.stock_qty),
                "unit": product.get_unit_display(),
                "name": product.name_vi,
            },
            fields={"product_id": product.pk, "available": str(product.stock_qty)},
        )


def cart_get_or_create(*, user: User | None = None, session_key: str | None = None) -> Cart:
    if user is not None and user.is_authenticated:
        return cart_get_for_user(user=user) or Cart.objects.get_or_create(user=user)[0]
    if not session_key:
        raise ValueError("a guest cart needs a session key")
    return Cart.objects.get_or_create(session_key=session_key)[0]


# The cart's reads have one shape each, compiled once per connection (market.shared.compiled):
# compiling these select_related joins of wide tables cost more web CPU than the rest of a
# cart change (py-spy under bench/load.py).


def _products_with_cooperative(ids: list[int]) -> QuerySet[Product]:
    return Product.objects.select_related("cooperative").filter(pk__in=ids)


def cart_get_for_user(*, user: User) -> Cart | None:
    """The signed-in buyer's cart, or None (every cart API call and checkout asks first)."""
    found = instances_for_ids("cart-of-user", Cart, _carts_of_users, [user.pk])
    return found[0] if found else None


def _carts_of_users(user_ids: list[int]) -> QuerySet[Cart]:
    return Cart.objects.filter(user_id__in=user_ids)


def _product_for_cart(product_id: int, *, tiers: bool = True) -> Product:
    found = instances_for_ids("cart-product", Product, _products_with_cooperative, [product_id])
    if not found:
        raise NotPurchasable(fields={"product_id": product_id})
    if tiers:
        prefetch_related_objects(found, "price_tiers")
    return found[0]


def _cart_lock(cart: Cart) -> None:
    """Lock the cart row (and note the change): it serialises writers of one cart, so two
    simultaneous first adds of a product cannot both find no line and break the unique
    constraint. An UPDATE takes the same row lock a SELECT ... FOR UPDATE would, in one
    statement; a refused change rolls it back with everything else."""
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def _cart_lines_locked(cart: Cart, *, tiers: bool = True) -> list[CartLine]:
    """The cart's lines, oldest first, locked, with what pricing them needs (product,
    cooperative, and unless `tiers` is False, price tiers). Locked because a checkout may be
    deleting them right now."""
    lines = instances_for_ids("cart-lines-locked", CartLine, _lines_locked, [cart.pk])
    for line in lines:
        line.cart = cart  # as cart.lines sets it
    if tiers:
        prefetch_related_objects(lines, "product__price_tiers")
    return lines


def _lines_locked(cart_ids: list[int]) -> QuerySet[CartLine]:
    return (
        CartLine.objects.filter(cart_id__in=cart_ids)
        .select_for_update(of=("self",))
        .select_related("product__cooperative")
        .order_by("id")
    )


def _line_put(
    *,
    cart: Cart,
    line: CartLine | None,
    product_id: int,
    quantity: object,
    add: bool,
    product: Product | None = None,
) -> CartLine:
    """Validate and write one line (the cart is locked): raises NotPurchasable,
    QuantityInvalid or OutOfStock. `product`: the new line's product, already read with its
    price tiers."""
    qty = quantity_parse(quantity)
    if product is None:
        product = line.product if line is not None else _product_for_cart(product_id)
    product_check_purchasable(product)
    if add and line is not None:
        qty += line.quantity
    quantity_validate(product=product, quantity=qty)
    stock_check(product, qty)
    price = product.unit_price_for(qty)
    assert price is not None  # a purchasable product has a base price
    if line is None:
        return CartLine.objects.create(
            cart=cart, product=product, quantity=qty, unit_price_seen=price
        )
    line.quantity, line.unit_price_seen = qty, price
    line.save(update_fields=["quantity", "unit_price_seen", "updated_at"])
    return line


@transaction.atomic
def cart_line_set(*, cart: Cart, product_id: int, quantity: object, add: bool = False) -> CartLine:
    """Set (or with `add`, increase) the quantity of a product in the cart.

    Raises NotPurchasable, QuantityInvalid (BelowMinimumOrder, OffOrderStep, NotDivisible) or
    OutOfStock; the cart is unchanged then."""
    quantity_parse(quantity)  # a malformed quantity is refused before any lock
    _cart_lock(cart)
    line = (
        CartLine.objects.select_for_update(of=("self",))
        .select_related("product__cooperative")
        .prefetch_related("product__price_tiers")
        .filter(cart=cart, product_id=product_id)
        .first()
    )
    return _line_put(cart=cart, line=line, product_id=product_id, quantity=quantity, add=add)


@transaction.atomic
def cart_line_remove(*, cart: Cart, product_id: int) -> bool:
    """Remove a product from the cart; returns False when it was not there."""
    deleted, _n = CartLine.objects.filter(cart=cart, product_id=product_id).delete()
    return bool(deleted)


@transaction.atomic
def cart_change(
    *, cart: Cart, product_id: int, quantity: object | None, add: bool = False
) -> CartView:
    """One change to the cart and its new state, in one transaction: set (with `add`,
    increase) the quantity of a product, or remove it when `quantity` is None; then every
    line repriced from the database as `cart_refresh` does (with its messages).

    Raises NotPurchasable, QuantityInvalid (BelowMinimumOrder, OffOrderStep, NotDivisible) or
    OutOfStock; the cart is unchanged then."""
    if quantity is not None:
        quantity_parse(quantity)  # a malformed quantity is refused before any lock
    _cart_lock(cart)
    lines = _cart_lines_locked(cart, tiers=False)
    line = next((ln for ln in lines if ln.product_id == product_id), None)
    products, new = [ln.product for ln in lines], None
    if quantity is not None and line is None:
        # The product added and the lines' products get their price tiers in one read (it
        # was two: the lines', then the new product's).
        new = _product_for_cart(product_id, tiers=False)
        products.append(new)
    prefetch_related_objects(products, "price_tiers")
    if quantity is None:
        if line is not None:
            line.delete()
            lines.remove(line)
    else:
        put = _line_put(
            cart=cart,
            line=line,
            product_id=product_id,
            quantity=quantity,
            add=add,
            product=new,
        )
        if line is None:
            lines.append(put)
    return _price_lines(cart, lines)


def _line_message(kind: str, product: Product, text: str, **extra: Any) -> dict[str, Any]:
    return {"code": kind, "product_id": product.pk, "message": text, **extra}


def _refresh_line(line: CartLine, messages: list[dict[str, Any]]) -> PricedLine | None:
    """Bring one line in line with the database; returns None when the line had to go."""
    product = line.product
    name = product.name_vi
    if not product.is_purchasable or product.price_vnd is None:
        messages.append(
            _line_message(
                "product_withdrawn",
                product,
                _("“%(name)s” is no longer available and was removed.") % {"name": name},
            )
        )
        line.delete()
        return None
    qty = line.quantity
    if qty > product.stock_qty:
        largest = _largest_orderable(product, product.stock_qty)
        if largest is None:
            messages.append(
                _line_message(
                    "out_of_stock",
                    product,
                    _("“%(name)s” is out of stock and was removed.") % {"name": name},
                )
            )
            line.delete()
            return None
        qty = largest
        messages.append(
            _line_message(
                "stock_reduced",
                product,
                _("Only %(qty)s %(unit)s of “%(name)s” left: your quantity was reduced.")
                % {"qty": _fmt(qty), "unit": product.get_unit_display(), "name": name},
                old_quantity=str(line.quantity),
                new_quantity=str(qty),
            )
        )
    price = product.unit_price_for(qty)
    assert price is not None  # price_vnd was checked above
    if price != line.unit_price_seen:
        messages.append(
            _line_message(
                "price_changed",
                product,
                _("The price of “%(name)s” changed from %(old)s ₫ to %(new)s ₫.")
                % {"name": name, "old": f"{line.unit_price_seen:,}", "new": f"{price:,}"},
                old_price_vnd=line.unit_price_seen,
                new_price_vnd=price,
            )
        )
    if qty != line.quantity or price != line.unit_price_seen:
        line.quantity, line.unit_price_seen = qty, price
        line.save(update_fields=["quantity", "unit_price_seen", "updated_at"])
    return PricedLine(
        line=line,
        product=product,
        quantity=qty,
        unit_price_vnd=price,
        line_total_vnd=line_total(price, qty),
    )


def line_total(price: int, qty: Decimal) -> int:
    return money.line_total(price, qty)


def _largest_orderable(product: Product, available: Decimal) -> Decimal | None:
    """The largest quantity ≤ available that respects MOQ, step and divisibility."""
    qty = (available // product.order_step) * product.order_step
    if not is_divisible(product.unit):
        qty = qty.to_integral_value(rounding="ROUND_FLOOR")
    if qty < product.min_order_qty or qty <= 0:
        return None
    try:
        quantity_validate(product=product, quantity=qty)
    except QuantityInvalid:
        return None
    return qty


@transaction.atomic
def cart_refresh(*, cart: Cart | None) -> CartView:
    """Reprice every line from the database and fix what changed (withdrawn products go, too
    large quantities shrink to the stock); returns the lines and one message per change."""
    if cart is None:
        return CartView(cart=None)
    lines = (
        cart.lines.select_related("product__cooperative")
        .prefetch_related("product__price_tiers")
        .order_by("id")
    )
    return _price_lines(cart, lines)


def _price_lines(cart: Cart, lines: Iterable[CartLine]) -> CartView:
    view = CartView(cart=cart)
    for line in lines:
        priced = _refresh_line(line, view.messages)
        if priced is not None:
            view.lines.append(priced)
    return view


@transaction.atomic
def cart_merge(*, user: User, session_key: str) -> Cart:
    """Move a guest cart (by session key) into the user's cart at login. Quantities of a product
    in both carts are added when the sum is still orderable, otherwise the larger one is kept.
    The guest cart is deleted. Safe to call twice (the second call finds no guest cart)."""
    user_cart = cart_get_or_create(user=user)
    guest = (
        Cart.objects.select_for_update(of=("self",))
        .filter(session_key=session_key, user__isnull=True)
        .first()
    )
    if guest is None or not session_key:
        return user_cart
    existing = {ln.product_id: ln for ln in user_cart.lines.select_for_update(of=("self",))}
    for gl in guest.lines.select_related("product"):
        mine = existing.get(gl.product_id)
        if mine is None:
            gl.cart = user_cart
            gl.save(update_fields=["cart", "updated_at"])
            continue
        total = mine.quantity + gl.quantity
        try:
            quantity_validate(product=gl.product, quantity=total)
            stock_check(gl.product, total)
        except (QuantityInvalid, OutOfStock):
            total = max(mine.quantity, gl.quantity)
        mine.quantity = total
        mine.save(update_fields=["quantity", "updated_at"])
    guest.delete()
    return user_cart
