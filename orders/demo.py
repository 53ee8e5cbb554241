"""Demo orders for `manage.py seed_demo` (runs after catalog/demo.py made the products).

Placed through the real services, each with a fixed idempotency key, so re-running finds the
orders already there instead of placing them again."""

from collections.abc import Callable

from django.db.models import F
from django.test.utils import override_settings

from catalog.models import Product
from market.models import Membership, User, Ward
from orders.models import Checkout, Order
from orders.services.cart import cart_get_or_create, cart_line_set
from orders.services.checkout import ShippingAddress, checkout_place
from orders.services.payments import payment_bank_transfer_confirm
from orders.services.transitions import order_transition

S = Order.Status
# (key, payment method, moves after placement)
PLAN: list[tuple[str, str, list[str]]] = [
    ("demo-1", "bank_transfer", []),
    ("demo-2", "bank_transfer", ["PAY", S.CONFIRMED, S.PACKED]),
    ("demo-3", "cod", [S.CONFIRMED, S.PACKED, S.SHIPPED]),
    ("demo-4", "cod", [S.CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED]),
    ("demo-5", "bank_transfer", [S.CANCELLED]),
    # every other state, and more bank transfers waiting for their payment
    ("demo-6", "cod", [S.CONFIRMED]),
    ("demo-7", "cod", [S.CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED]),
    ("demo-8", "cod", [S.REFUSED]),
    ("demo-9", "bank_transfer", []),
    ("demo-10", "bank_transfer", ["PAY", S.CONFIRMED]),
    ("demo-11", "bank_transfer", ["PAY", S.CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED]),
    ("demo-12", "cod", []),
]


def _products() -> list[Product]:
    seen, out = set(), []
    qs = (
        Product.objects.filter(
            status=Product.Status.ACTIVE,
            cooperative__status="VERIFIED",
            price_vnd__isnull=False,
            stock_qty__gte=F("min_order_qty") * 3,
        )
        .select_related("cooperative")
        .order_by("cooperative_id", "pk")
    )
    for p in qs:
        if p.cooperative_id not in seen:
            seen.add(p.cooperative_id)
            out.append(p)
    return out


def _address() -> ShippingAddress:
    ward = (
        Ward.objects.filter(province_id=1).order_by("code").first()
        or Ward.objects.order_by("code").first()
    )
    assert ward is not None  # the reference data (wards) is loaded before the demo orders
    return ShippingAddress(
        recipient_name="Nguyễn Thị Lan",
        recipient_phone="0987654321",
        address_line="12 Tràng Tiền",
        province_code=ward.province_id,
        ward_code=ward.code,
    )


def _move(order: Order, step: str, buyer: User) -> None:
    staff = (
        Membership.objects.filter(cooperative_id=order.cooperative_id)
        .select_related("user")
        .first()
    )
    actor = staff.user if staff else User.objects.filter(is_staff=True).first()
    assert actor is not None  # demo cooperatives have staff, and the demo has an admin
    if step == "PAY":
        payment_bank_transfer_confirm(actor=actor, order_id=order.pk, note="demo")
    elif step == S.COMPLETED:
        order_transition(actor=buyer, order_id=order.pk, to=step)
    elif step == S.CANCELLED:
        order_transition(actor=buyer, order_id=order.pk, to=step, note="Đặt nhầm")
    elif step == S.REFUSED:
        order_transition(actor=actor, order_id=order.pk, to=step, reason="Hết vụ, không đủ hàng")
    else:
        order_transition(
            actor=actor,
            order_id=order.pk,
            to=step,
            carrier="GHN",
            tracking_number=f"GHN{order.pk:08d}",
        )


# Demo data mails nobody, and its buyer places a dozen orders at once: the per-hour checkout
# throttle protects the live site from a buyer's burst, not the seeder from itself.
@override_settings(
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ORDER_CHECKOUTS_PER_HOUR=len(PLAN) + 10,
)
def seed(log: Callable[[str], object]) -> str:
    buyer = User.objects.filter(email="buyer@htx.market").first()
    products = _products()
    if buyer is None or not products:
        return "orders: no demo buyer or no purchasable products yet, no demo orders"
    made = 0
    for i, (key, method, moves) in enumerate(PLAN):
        if Checkout.objects.filter(buyer=buyer, idempotency_key=key).exists():
            continue
        product = products[i % len(products)]
        cart = cart_get_or_create(user=buyer)
        cart.lines.all().delete()
        cart_line_set(cart=cart, product_id=product.pk, quantity=product.min_order_qty)
        checkout = checkout_place(
            buyer=buyer,
            cart=cart,
            payment_method=method,
            address=_address(),
            idempotency_key=key,
            # The seeder writes the demo market's order history for one demo buyer: a script,
            # not a buyer holding stock (orders.services.limits bounds real buyers).
            enforce_buyer_limits=False,
        )
        order = checkout.orders.get()
        for step in moves:
            _move(order, step, buyer)
        made += 1
        log(f"{order.code}: {product.name_vi} → {Order.objects.get(pk=order.pk).status}")
    return f"{len(PLAN)} demo orders ({made} new)"
