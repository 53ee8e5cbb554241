"""Order placement: one transaction that locks the products, re-validates the cart, takes the
stock, and writes the Checkout, one Order per cooperative, their lines, events and payments."""

import functools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ParamSpec

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import InsufficientStock
from catalog.models import Incoterm, Product
from catalog.stock import stock_decrease_many
from market import metrics
from market.background import enqueue
from market.errors import DomainError as MarketDomainError
from market.models import Cooperative, Province, User, Ward
from market.reference import validators
from market.shared.compiled import instances_for_ids
from orders import money
from orders.errors import (
    AddressInvalid,
    CartChanged,
    CartEmpty,
    OutOfStock,
    PaymentMethodNotAllowed,
    PriceChanged,
    QuantityInvalid,
    ValidationFailed,
)
from orders.models import (
    Cart,
    CartLine,
    Checkout,
    Currency,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentMethod,
    ShippingRule,
)
from orders.services import limits, stripe_payments
from orders.services.cart import (
    line_total,
    product_check_purchasable,
    quantity_validate,
    stock_check,
)

# A cart line with its locked product and the unit price it sells at now.
PricedItem = tuple[CartLine, Product, int]
P = ParamSpec("P")


@dataclass
class ShippingAddress:
    recipient_name: str
    recipient_phone: str
    address_line: str
    country: str = "VN"
    province_code: int | None = None
    ward_code: int | None = None
    city: str = ""
    postal_code: str = ""
    incoterm: str = ""


# Wards are reference data (market/reference/admin_units.py loads them from a data package; their
# codes never change meaning): a ward found in its province is remembered for a while per process,
# so repeated checkouts to one address do not look it up again. Only hits are kept.
_WARD_TTL_SECONDS = 600.0
_wards: dict[tuple[int, int], tuple[float, Ward]] = {}


def _ward_of(province_code: Any, ward_code: Any) -> Ward | None:
    """The ward `ward_code` of province `province_code` (with its province), or None."""
    try:
        key = (int(province_code), int(ward_code))
    except (TypeError, ValueError):
        return None
    hit = _wards.get(key)
    if hit is not None and time.monotonic() - hit[0] < _WARD_TTL_SECONDS:
        return hit[1]
    found = Ward.objects.select_related("province").filter(code=key[1], province_id=key[0]).first()
    if found is not None:
        _wards[key] = (time.monotonic(), found)
    return found


def _address_fields(address: ShippingAddress) -> dict[str, Any]:
    """Validate the address and return Checkout field values. Raises AddressInvalid."""
    errors: dict[str, list[Any]] = {}
    for name in ("recipient_name", "recipient_phone", "address_line", "city", "postal_code"):
        try:  # printed on packing slips and shown in e-mails: one visible line each
            validators.single_line(
                getattr(address, name) or "",
                field=name,
                required=name in ("recipient_name", "recipient_phone", "address_line"),
            )
        except validators.InvalidField as exc:
            errors.update(exc.fields)
    country = (address.country or "").upper()
    if len(country) != 2 or not country.isalpha():
        errors["country"] = [_("Use a two-letter country code (ISO 3166-1).")]
    province = ward = None
    found = (  # the two queries below say which one is wrong
        _ward_of(address.province_code, address.ward_code)
        if country == "VN" and address.province_code and address.ward_code
        else None
    )
    if found is not None:
        province, ward = found.province, found
    elif country == "VN":
        province = (
            Province.objects.filter(code=address.province_code).first()
            if address.province_code
            else None
        )
        ward = (
            Ward.objects.filter(code=address.ward_code, province=province).first()
            if province and address.ward_code
            else None
        )
        if province is None:
            errors["province_code"] = [_("Choose a province.")]
        if ward is None:
            errors["ward_code"] = [_("Choose a ward of this province.")]
    elif address.incoterm not in Incoterm.values:
        errors["incoterm"] = [
            _("Choose an Incoterm: %(list)s.") % {"list": ", ".join(Incoterm.values)}
        ]
    if errors:
        raise AddressInvalid(fields=errors)
    return {
        "recipient_name": address.recipient_name.strip(),
        "recipient_phone": address.recipient_phone.strip(),
        "address_line": address.address_line.strip(),
        "country": country,
        "province": province,
        "ward": ward,
        "city": address.city.strip(),
        "postal_code": address.postal_code.strip(),
        "incoterm": address.incoterm if country != "VN" else "",
    }


def _payment_check(*, method: str, currency: str, country: str) -> None:
    abroad = country != "VN"
    if method == PaymentMethod.INSTALLMENTS:
        # International wire: offered to every buyer abroad, no keys needed.
        if not abroad:
            raise PaymentMethodNotAllowed(
                _("International wire is for buyers abroad; in Vietnam pay by bank transfer."),
                fields={"payment_method": [method]},
            )
        return
    if method not in settings.PAYMENT_METHODS or method not in PaymentMethod.values:
        raise PaymentMethodNotAllowed(fields={"payment_method": [method]})
    if abroad and method == PaymentMethod.BANK_TRANSFER:
        # A domestic VietQR (NAPAS) transfer cannot be paid from a foreign bank.
        raise PaymentMethodNotAllowed(
            _(
                "Buyers abroad pay by international wire or by card; VietQR is for banks in Vietnam."
            ),
            fields={"payment_method": [method]},
        )
    if currency not in Currency.values:
        raise ValidationFailed(fields={"currency": [_("Use VND or USD.")]})
    if method == PaymentMethod.COD and country != "VN":
        raise PaymentMethodNotAllowed(
            _("Cash on delivery is only available in Vietnam."), fields={"payment_method": [method]}
        )
    if currency == Currency.USD and method != PaymentMethod.STRIPE:
        raise PaymentMethodNotAllowed(
            _("Payments in USD are by card only."), fields={"currency": [currency]}
        )


def shipping_fee_for(*, cooperative: Cooperative, subtotal_vnd: int, weight_kg: Decimal) -> int:
    """The cooperative's rule (or the default): flat, or base + per started kilogram."""
    return _fee(
        ShippingRule.objects.filter(cooperative=cooperative).first(), subtotal_vnd, weight_kg
    )


def _locked_cart_lines(cart: Cart | None) -> tuple[list[CartLine], dict[int, Product]]:
    lines = (
        instances_for_ids("checkout-cart-lines", CartLine, _cart_lines_to_lock, [cart.pk])
        if cart is not None and cart.pk
        else []
    )
    if not lines:
        raise CartEmpty()
    # Locked in pk order (no deadlock between checkouts), read with their cooperative (not locked:
    # of=self) and price tiers; under the lock this read sees the latest committed stock and price.
    # FOR NO KEY UPDATE (what the stock UPDATE takes anyway): checkouts of a product still wait
    # for each other, but a cart line or order line written meanwhile (its foreign key check
    # takes KEY SHARE on the product) no longer waits for the whole checkout to commit.
    # Compiled once per connection and number of products (market.shared.compiled).
    ids = sorted({ln.product_id for ln in lines})
    products = {
        p.pk: p for p in instances_for_ids("checkout-products", Product, _products_to_lock, ids)
    }
    return lines, products


def _cart_lines_to_lock(cart_ids: list[int]) -> QuerySet[CartLine]:
    return (
        CartLine.objects.select_for_update(of=("self",)).filter(cart_id__in=cart_ids).order_by("id")
    )


def _products_to_lock(ids: list[int]) -> QuerySet[Product]:
    return (
        Product.objects.filter(pk__in=ids)
        .order_by("pk")
        .select_for_update(of=("self",), no_key=True)
        .select_related("cooperative")
        .prefetch_related("price_tiers")
    )


def _revalidate(lines: list[CartLine], products: dict[int, Product]) -> list[PricedItem]:
    """Every line still purchasable, orderable, in stock, at the price the buyer saw.
    Raises CartChanged/PriceChanged/OutOfStock/NotPurchasable; the caller rolls back."""
    priced, changed = [], []
    for line in lines:
        product = products[line.product_id]
        product_check_purchasable(product)
        try:
            quantity_validate(product=product, quantity=line.quantity)
        except QuantityInvalid as exc:
            raise CartChanged(fields={"product_id": product.pk, "detail": str(exc.message)})
        stock_check(product, line.quantity)
        price = product.unit_price_for(line.quantity)
        if price != line.unit_price_seen:
            changed.append(
                {
                    "product_id": product.pk,
                    "old_price_vnd": line.unit_price_seen,
                    "new_price_vnd": price,
                }
            )
        assert price is not None  # a purchasable product has a base price
        priced.append((line, product, price))
    if changed:
        raise PriceChanged(fields={"lines": changed})
    return priced


def _order_code(order: Order) -> str:
    return f"HTX-{order.placed_at.year}-{order.pk:06d}"


def _shipping_rules(coop_ids: Iterable[int]) -> dict[int, ShippingRule]:
    return {r.cooperative_id: r for r in ShippingRule.objects.filter(cooperative_id__in=coop_ids)}


def _fee(rule: ShippingRule | None, subtotal_vnd: int, weight_kg: Decimal) -> int:
    rule = rule or ShippingRule(**ShippingRule.DEFAULT)
    if rule.free_over_vnd is not None and subtotal_vnd >= rule.free_over_vnd:
        return 0
    if rule.kind == ShippingRule.Kind.WEIGHT:
        return rule.base_fee_vnd + rule.per_kg_vnd * math.ceil(weight_kg)
    return rule.flat_fee_vnd


def _draft_order(
    *,
    checkout_fields: dict[str, Any],
    cooperative: Cooperative,
    items: list[PricedItem],
    rule: ShippingRule | None,
    note: str,
    now: datetime,
) -> Order:
    """An unsaved Order with its unsaved lines (`order.draft_lines`): priced, no query."""
    lines, subtotal, weight = [], 0, Decimal("0")
    for line, product, price in items:
        total = line_total(price, line.quantity)
        w = (product.unit_weight_kg or Decimal("0")) * line.quantity
        subtotal, weight = subtotal + total, weight + w
        lines.append(
            OrderLine(
                product=product,
                product_name=product.full_name_vi,  # the variant's options too
                sku=product.sku,
                unit=product.unit,
                unit_price_vnd=price,
                quantity=line.quantity,
                line_total_vnd=total,
                weight_kg=w,
            )
        )
    fee = _fee(rule, subtotal, weight)
    pct = money.commission_percent()
    method = checkout_fields["payment_method"]
    order = Order(
        cooperative=cooperative,
        buyer=checkout_fields["buyer"],
        subtotal_vnd=subtotal,
        shipping_fee_vnd=fee,
        commission_percent=pct,
        commission_vnd=money.commission_vnd(subtotal, pct),
        total_vnd=subtotal + fee,
        note=note,
        payment_method=method,
        placed_at=now,
        # The payee is copied now: a later change of the cooperative's account (approved by an
        # admin) never retargets this order's VietQR.
        payee_bank_bin=cooperative.bank_bin,
        payee_bank_account=cooperative.bank_account,
        payee_bank_account_name=cooperative.bank_account_name,
        reserved_until=now + timedelta(hours=limits.reservation_hours(method))
        if method != PaymentMethod.COD
        else None,
    )
    order.draft_lines = lines
    return order


def _write_orders(checkout: Checkout, orders: list[Order], actor: User | None) -> None:
    """Orders, their codes, lines and first events in four statements, whatever their number."""
    for o in orders:
        o.checkout = checkout
    Order.objects.bulk_create(orders)
    for o in orders:
        o.code = _order_code(o)
    Order.objects.bulk_update(orders, ["code"])
    lines = []
    for o in orders:
        for ln in o.draft_lines:
            ln.order = o
            lines.append(ln)
    OrderLine.objects.bulk_create(lines)
    OrderEvent.objects.bulk_create(
        OrderEvent(order=o, actor=actor, from_status="", to_status=Order.Status.PLACED)
        for o in orders
    )


def _create_payments(checkout: Checkout, orders: list[Order]) -> None:
    if checkout.payment_method == PaymentMethod.INSTALLMENTS:
        from orders.services.export import export_schedule_for_checkout

        export_schedule_for_checkout(checkout=checkout, orders=orders)  # paid per installment
        return
    if checkout.payment_method == PaymentMethod.STRIPE:
        if checkout.currency == Currency.USD:
            assert checkout.total_usd is not None  # set for every USD checkout
            amount = checkout.total_usd
        else:
            amount = Decimal(checkout.total_vnd)
        Payment.objects.create(
            checkout=checkout,
            provider=PaymentMethod.STRIPE,
            amount=amount,
            currency=checkout.currency,
        )
        return
    Payment.objects.bulk_create(
        [
            Payment(
                checkout=checkout,
                order=o,
                provider=checkout.payment_method,
                amount=Decimal(o.total_vnd),
                currency=Currency.VND,
            )
            for o in orders
        ]
    )


def _counted(place: Callable[P, Checkout]) -> Callable[P, Checkout]:
    """Checkout outcomes for /metrics: placed, or the error code (out_of_stock, price_changed…)."""

    @functools.wraps(place)
    def counted(*args: P.args, **kwargs: P.kwargs) -> Checkout:
        try:
            checkout = place(*args, **kwargs)
        except MarketDomainError as exc:
            metrics.CHECKOUTS.labels(exc.code).inc()
            raise
        metrics.CHECKOUTS.labels("placed").inc()
        return checkout

    return counted


@_counted
def checkout_place(
    *,
    buyer: User,
    cart: Cart | None,
    payment_method: str,
    address: ShippingAddress,
    currency: str = Currency.VND,
    notes: dict[int, str] | None = None,
    expected_total_vnd: int | None = None,
    idempotency_key: str | None = None,
    enforce_buyer_limits: bool = True,
) -> Checkout:
    """Place the buyer's cart: one Checkout, one Order per cooperative, stock taken under row locks.

    With `idempotency_key` (an API key or a web form token) a repeated call returns the checkout
    already placed instead of a second one. `expected_total_vnd` is the total the buyer saw; a
    different total (changed or tampered prices) raises PriceChanged.
    No cart (None: the buyer never added anything) is an empty one.
    Raises CartEmpty, AddressInvalid, PaymentMethodNotAllowed, NotPurchasable, CartChanged,
    PriceChanged or OutOfStock — and then nothing is written."""
    if idempotency_key:
        existing = Checkout.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    fields = _address_fields(address)
    _payment_check(method=payment_method, currency=currency, country=fields["country"])
    coop_ids = _stock_precheck(cart)
    # Shipping rules are read, never locked: read before the transaction, not while it holds the
    # product rows every other checkout of these products waits for.
    rules = (coop_ids, _shipping_rules(coop_ids))
    try:
        return _place(
            rules=rules,
            buyer=buyer,
            cart=cart,
            payment_method=payment_method,
            currency=currency,
            fields=fields,
            notes=notes or {},
            expected_total_vnd=expected_total_vnd,
            idempotency_key=idempotency_key,
            enforce_buyer_limits=enforce_buyer_limits,
        )
    except (IntegrityError, CartEmpty):
        # Two submits with one token raced: the other committed first; ours rolled back whole
        # (on the unique key, or it waited on the cart lines' locks and found them gone).
        if idempotency_key:
            existing = Checkout.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        raise


def _stock_precheck(cart: Cart | None) -> set[int]:
    """Out of stock as last committed, without a lock: the answer is already known, so the
    attempt does not queue behind the checkouts holding the product rows (under a race for the
    last units most attempts end here). Stock that is there is checked again under the lock."""
    # Only the columns the check needs: under a race most attempts end here, and compiling and
    # reading the full product rows of a select_related join was most of this attempt's cost.
    rows = (
        CartLine.objects.filter(cart=cart)
        .order_by("pk")
        .values_list(
            "quantity",
            "product_id",
            "product__stock_qty",
            "product__unit",
            "product__name_vi",
            "product__cooperative_id",
        )
    )
    coop_ids = set()
    for quantity, product_id, stock, unit, name, coop_id in rows:
        if quantity > stock:  # the fields of the message; the same check as under the lock
            stock_check(Product(pk=product_id, stock_qty=stock, unit=unit, name_vi=name), quantity)
        coop_ids.add(coop_id)
    return coop_ids  # the cooperatives of the cart, for their shipping rules


@transaction.atomic
def _place(
    *,
    rules: tuple[set[int], dict[int, ShippingRule]],
    buyer: User,
    cart: Cart | None,
    payment_method: str,
    currency: str,
    fields: dict[str, Any],
    notes: dict[Any, str],  # by cooperative id, int or (from JSON) str
    expected_total_vnd: int | None,
    idempotency_key: str | None,
    enforce_buyer_limits: bool = True,
) -> Checkout:
    limits.buyer_lock(buyer)  # before the stock rows: one buyer's checkouts count in turn
    lines, products = _locked_cart_lines(cart)
    priced = _revalidate(lines, products)
    now = timezone.now()
    rate = settings.USD_VND_RATE if currency == Currency.USD else None
    by_coop: dict[int, list[PricedItem]] = {}
    for item in priced:
        by_coop.setdefault(item[1].cooperative_id, []).append(item)
    read_for, found = rules
    if not set(by_coop) <= read_for:  # the cart changed since the pre-check (another tab)
        found = _shipping_rules(by_coop)
    head = {"buyer": buyer, "payment_method": payment_method}
    orders = [
        _draft_order(
            checkout_fields=head,
            cooperative=items[0][1].cooperative,
            items=items,
            rule=found.get(coop_id),
            note=(notes.get(coop_id) or notes.get(str(coop_id)) or "").strip(),
            now=now,
        )
        for coop_id, items in sorted(by_coop.items())
    ]
    subtotal = sum(o.subtotal_vnd for o in orders)
    shipping = sum(o.shipping_fee_vnd for o in orders)
    if expected_total_vnd is not None and int(expected_total_vnd) != subtotal + shipping:
        raise PriceChanged(
            fields={"expected_total_vnd": expected_total_vnd, "total_vnd": subtotal + shipping}
        )
    if enforce_buyer_limits:
        limits.checkout_limits_check(
            buyer=buyer,
            payment_method=payment_method,
            new_orders=len(orders),
            total_vnd=subtotal + shipping,
        )
    checkout = Checkout.objects.create(
        buyer=buyer,
        currency=currency,
        usd_vnd_rate=rate,
        subtotal_vnd=subtotal,
        shipping_vnd=shipping,
        total_vnd=subtotal + shipping,
        total_usd=money.usd(subtotal + shipping, rate) if rate else None,
        payment_method=payment_method,
        idempotency_key=idempotency_key or None,
        **fields,
    )
    _write_orders(checkout, orders, buyer)
    try:
        stock_decrease_many(
            items=[(product, line.quantity) for line, product, _price in priced],
            reason=f"checkout:{checkout.pk}",
            actor=buyer,
        )
    except InsufficientStock as exc:  # cannot happen after _revalidate under the lock: a guard
        raise OutOfStock(exc.message, fields=exc.fields)
    _create_payments(checkout, orders)
    CartLine.objects.filter(pk__in=[ln.pk for ln in lines]).delete()
    if payment_method == PaymentMethod.STRIPE:
        transaction.on_commit(
            lambda: stripe_payments.payment_intent_ensure_safe(checkout_id=checkout.pk)
        )
    # the placement mails are composed and sent by a worker, after commit
    enqueue("orders.mail_orders_placed", order_ids=[o.pk for o in orders])
    return checkout
