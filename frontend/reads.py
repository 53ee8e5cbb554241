"""Page data assembled from the domain selectors (presentation only: which rows a page shows)."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from catalog import selectors as catalog_selectors
from catalog.models import Category, ProductImage
from market.cooperatives import selectors as market_selectors
from market.errors import NotFound
from market.models import Cooperative, User
from market.reference.banks import bank_name
from orders import selectors as order_selectors
from orders.models import Cart, Order

if TYPE_CHECKING:
    from orders.services.cart import CartView


def images_prefetch() -> "Prefetch[Any]":
    return Prefetch("family__images", queryset=ProductImage.objects.order_by("position", "id"))


def home_data() -> dict:
    return {
        "categories": list(Category.objects.filter(parent__isnull=True)[:12]),
        "cooperatives": list(
            market_selectors.cooperative_list_public().order_by("-verified_at", "pk")[:8]
        ),
    }


def cooperative_profile(*, slug: str) -> dict:
    coop = market_selectors.cooperative_get_public(key=slug)
    today = timezone.localdate()
    certs = [c for c in coop.certifications.all() if c.is_shown(today)]
    families = catalog_selectors.family_list_purchasable().filter(cooperative=coop)[:48]
    cards = [f for f in families if catalog_selectors.family_for_card(f)]
    return {"coop": coop, "certifications": certs, "products": cards}


def product_detail(*, product_id: int) -> dict:
    product = catalog_selectors.product_get_for_public(product_id=product_id)
    today = timezone.localdate()
    variants = list(
        catalog_selectors.product_list_purchasable()
        .filter(family_id=product.family_id)
        .order_by("position", "pk")
    )
    return {
        "product": product,
        "variants": variants,  # the family's purchasable variants: the picker's chips
        "certifications": [c for c in product.family.certifications.all() if c.is_shown(today)],
    }


# --- Orders: the orders app's selectors decide who sees what. ---


def orders_for_buyer(*, user: User) -> QuerySet[Order]:
    return order_selectors.order_list_for_buyer(user=user).order_by("-placed_at", "-id")[:100]


def order_for_actor(*, user: User, code: str) -> dict[str, Any]:
    order = order_selectors.order_get_for_actor(user=user, code=code)
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "events": list(order.events.all()),
        "vietqr": _vietqr_details(order),
        **order_moves_for_buyer(user=user, order=order),
        "documents_withheld": _documents_withheld(user=user, order=order),
    }


def _documents_withheld(*, user: User, order: Order) -> bool:
    """An export order's buyer before its documents are released (orders.services.export)."""
    from orders.errors import DocumentsWithheld
    from orders.services.export import export_document_check

    try:
        export_document_check(actor=user, order=order, document="invoice")
    except DocumentsWithheld:
        return True
    return False


def checkout_for_buyer(*, user: User, pk: int) -> dict[str, Any]:
    checkout = order_selectors.checkout_get_for_buyer(user=user, checkout_id=pk)
    return {
        "checkout": checkout,
        "orders": [(o, _vietqr_details(o)) for o in checkout.orders.all()],
    }


def card_payment_for_buyer(*, user: User, pk: int) -> dict[str, Any]:
    """The buyer's checkout and its Stripe payment; NotFound when missing, not theirs, or not by card.
    `payable` is False once paid, refunded, or when an order of it was cancelled or refused."""
    from orders.models import Order, Payment, PaymentMethod

    checkout = order_selectors.checkout_get_for_buyer(user=user, checkout_id=pk)
    payment = next((p for p in checkout.payments.all() if p.provider == PaymentMethod.STRIPE), None)
    if payment is None:
        raise NotFound()
    orders = list(checkout.orders.all())
    closed = any(o.status in (Order.Status.CANCELLED, Order.Status.REFUSED) for o in orders)
    payable = payment.status in (Payment.Status.PENDING, Payment.Status.FAILED) and not closed
    return {"checkout": checkout, "payment": payment, "orders": orders, "payable": payable}


def card_state(*, order: Order, redirect_status: str) -> str:
    """What the order page says about a card payment: "" (not by card, or settled), "processing"
    (back from Stripe, webhook not in yet), "failed" (Stripe declined: pay again) or "unpaid"."""
    from orders.models import Order, PaymentMethod

    if (
        order.payment_method != PaymentMethod.STRIPE
        or order.payment_status != Order.PaymentStatus.UNPAID
        or order.status in (Order.Status.CANCELLED, Order.Status.REFUSED)
    ):
        return ""
    if redirect_status in ("succeeded", "processing"):
        return "processing"
    return "failed" if redirect_status == "requires_payment_method" else "unpaid"


def _vietqr_details(order: Order) -> dict[str, Any] | None:
    """Transfer details for an unpaid bank-transfer order whose cooperative has an account."""
    from orders.models import Order, PaymentMethod

    payee = order.payee  # snapshotted at checkout: a later account change never retargets it
    if (
        order.payment_method != PaymentMethod.BANK_TRANSFER
        or order.payment_status != Order.PaymentStatus.UNPAID
        or order.status in (Order.Status.CANCELLED, Order.Status.REFUSED)
        or not (payee["bank_bin"] and payee["bank_account"])
    ):
        return None
    return {
        "bank_bin": payee["bank_bin"],
        "bank_name": bank_name(payee["bank_bin"]),
        "deadline": order.reserved_until,
        "account": payee["bank_account"],
        "holder": payee["bank_account_name"],
        "amount": order.total_vnd,
        "memo": order.vietqr_memo,
    }


def order_vietqr_image(*, user: User, code: str, kind: str = "svg") -> bytes:
    """The VietQR of an unpaid bank-transfer order as SVG (shown) or PNG (saved to the phone)."""
    from orders import vietqr

    details = _vietqr_details(order_selectors.order_get_for_actor(user=user, code=code))
    if details is None:
        raise NotFound()
    data = vietqr.payload(
        bin_code=details["bank_bin"],
        account=details["account"],
        amount=details["amount"],
        memo=details["memo"],
    )
    return vietqr.image(data, kind=kind, scale=6 if kind == "svg" else 8)


def awaits_bank_transfer(order: Order) -> bool:
    """A live bank-transfer order whose money has not arrived (the desk warns before moving it)."""
    from orders.models import Order, PaymentMethod

    return (
        order.payment_method == PaymentMethod.BANK_TRANSFER
        and order.payment_status == Order.PaymentStatus.UNPAID
        and order.status not in Order.STOCK_RELEASING
    )


def order_moves_for_buyer(*, user: User, order: Order) -> dict[str, Any]:
    """What the buyer may do on their order page (orders re-checks each move when it is made)."""
    from orders.models import Order

    mine = order.buyer_id == user.pk
    return {
        "can_cancel": mine
        and order.can_move_to(Order.Status.CANCELLED)
        and order.status == Order.Status.PLACED,
        "can_receive": mine and order.can_move_to(Order.Status.COMPLETED),
        "auto_complete_days": getattr(settings, "ORDER_AUTO_COMPLETE_DAYS", None),
    }


# --- Cooperative staff ---


def onboarding(*, user: User, coop: Cooperative) -> dict[str, Any]:
    """The four onboarding steps (profile → documents → first product → first order) and the
    verification status with the admin's last reason."""
    from market.models import CooperativeDocument

    docs = market_selectors.document_list_for_user(user=user, cooperative_id=coop.pk)
    products = catalog_selectors.product_list_for_staff(user=user, cooperative_id=coop.pk)
    orders = order_selectors.order_list_for_cooperative_staff(user=user, cooperative_id=coop.pk)
    steps = [
        (
            "profile",
            bool(coop.representative and coop.phone and coop.bank_bin and coop.bank_account),
        ),
        ("documents", docs.filter(kind=CooperativeDocument.Kind.BUSINESS_REGISTRATION).exists()),
        ("product", products.exists()),
        ("order", orders.exists()),
    ]
    events = market_selectors.verification_event_list_for_user(user=user, cooperative_id=coop.pk)
    return {
        "coop": coop,
        "steps": dict(steps),
        "done_count": sum(done for _, done in steps),
        "events": list(events)[-5:],
        "can_submit": coop.can_move_to(coop.Status.SUBMITTED),
    }


DESK_PAGE_SIZE = 25  # each order carries its lines and several forms: a page stays light
# Each tab is counted up to this many orders; a bigger tab says "1000+" and its pager "Page N"
# with a next link while there are more (orders_selectors.order_status_counts_...: bounded).
DESK_COUNT_UP_TO = 1000


DESK_CARD_FIELDS = (
    "code",
    "status",
    "payment_method",
    "payment_status",
    "total_vnd",
    "placed_at",
    "checkout__recipient_name",
    "checkout__recipient_phone",
)


class _OpenEndedPage:
    """A page of a tab counted only up to DESK_COUNT_UP_TO: its orders read with one more
    to know whether a next page exists (the pager then has no page count)."""

    class paginator:  # the pager template reads page.paginator.num_pages
        num_pages = None

    def __init__(self, rows: list, number: int, size: int):
        self.number = number
        self.object_list = rows[:size]
        self._more = len(rows) > size

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self._more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


# An open-ended tab's page number is kept within what PostgreSQL takes as an OFFSET (bigint): a
# larger one (a typed or crafted URL) is an empty page past the end, not a 500.
_PAGE_MAX = 10**12


def _page_number(page: str | None) -> int:
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        return 1
    return min(number, _PAGE_MAX) if number >= 1 else 1


def order_desk(
    *, user: User, coop: Cooperative, status: str, page: str | None = None
) -> dict[str, Any]:
    """One tab of the desk, oldest first, `DESK_PAGE_SIZE` orders a page (every order of the
    tab can be reached; a busy cooperative's page stays quick on a phone). The tabs' counts
    stop at DESK_COUNT_UP_TO: what the desk reads does not grow with the cooperative's history."""
    from django.core.paginator import Paginator

    from orders.models import Order

    status = status if status in Order.Status.values else Order.Status.PLACED
    mine = order_selectors.order_list_for_cooperative_staff(user=user, cooperative_id=coop.pk)
    counts = order_selectors.order_status_counts(mine, up_to=DESK_COUNT_UP_TO)
    tabs = [
        (value, label, _shown_count(counts.get(value, 0))) for value, label in Order.Status.choices
    ]
    # Only what the cards show (views/desk.py: _card_facts): building 25 orders with their
    # cooperative and buyer rows cost more than the rest of the page.
    orders = (
        mine.filter(status=status)
        .select_related(None)
        .select_related("checkout")
        .only(*DESK_CARD_FIELDS)
        .order_by("placed_at", "id")
    )
    shown: Any
    if counts.get(status, 0) <= DESK_COUNT_UP_TO:  # counted exactly: a numbered pager
        paginator = Paginator(orders, DESK_PAGE_SIZE)
        paginator.count = counts.get(status, 0)  # counted with the tabs already
        shown = paginator.get_page(page)
    else:
        number = _page_number(page)
        start = (number - 1) * DESK_PAGE_SIZE
        shown = _OpenEndedPage(
            list(orders[start : start + DESK_PAGE_SIZE + 1]), number, DESK_PAGE_SIZE
        )
    return {
        "coop": coop,
        "status": status,
        "tabs": tabs,
        "page": shown,
        "orders": list(shown.object_list),
    }


def _shown_count(n: int) -> str:
    return f"{DESK_COUNT_UP_TO}+" if n > DESK_COUNT_UP_TO else str(n)


# --- Platform admins (the views check the role first) ---


def admin_queue() -> dict:
    return {"queue": list(market_selectors.verification_queue_for_admin()[:200])}


def admin_cooperative(*, user: User, coop_id: int) -> dict[str, Any]:
    coop = market_selectors.cooperative_get_for_staff(user=user, cooperative_id=coop_id)
    return {
        "coop": coop,
        "documents": list(
            market_selectors.document_list_for_user(user=user, cooperative_id=coop.pk)
        ),
        "events": list(
            market_selectors.verification_event_list_for_user(user=user, cooperative_id=coop.pk)
        ),
    }


def admin_certifications() -> dict:
    from catalog.models import Certification

    claimed = (
        Certification.objects.filter(status=Certification.Status.CLAIMED)
        .select_related("cooperative")
        .order_by("created_at", "id")[:200]
    )
    return {"certifications": list(claimed)}


def admin_suspended() -> dict:
    from market.models import Cooperative

    rows = Cooperative.objects.filter(status=Cooperative.Status.SUSPENDED).select_related(
        "province"
    )
    return {"cooperatives": list(rows.order_by("legal_name")[:500])}


# --- Checkout page ---


def cart_summary(*, cart: Cart | None) -> "CartView":
    """The cart's lines priced as they stand, changing nothing (the checkout page after a refused
    submit: the submit was the request's one domain call)."""
    from orders.services.cart import CartView, PricedLine, line_total

    view = CartView(cart=cart)
    if cart is None:
        return view
    for line in (
        cart.lines.select_related("product__cooperative")
        .prefetch_related("product__price_tiers")
        .order_by("id")
    ):
        price = line.product.unit_price_for(line.quantity)
        if price is None:  # withdrawn from sale since it was carted: the refusal names it
            continue
        view.lines.append(
            PricedLine(
                line=line,
                product=line.product,
                quantity=line.quantity,
                unit_price_vnd=price,
                line_total_vnd=line_total(price, line.quantity),
            )
        )
    return view


def import_columns() -> list[dict]:
    """The import template's columns as the import page explains them (the template itself has
    the same words on its instruction sheet)."""
    from catalog.importing.columns import COLUMNS, HELP, NUMBER_EXAMPLES

    return [
        {
            "header": c[0],
            "required": c[2],
            "help": HELP.get(c[1], ""),
            "example": NUMBER_EXAMPLES.get(c[1], c[3]),
        }
        for c in COLUMNS
    ]


def _categories(ids) -> dict[int, catalog_selectors.CategoryRow]:
    """Categories `ids` from the process copy (catalog.selectors.category_rows: no query on a
    search page), the ones missing from it (added since) from the database."""
    known = catalog_selectors.category_rows()
    found = {i: known[i] for i in ids if i in known}
    missing = [i for i in ids if i not in known]
    if missing:
        found.update(
            (r[0], catalog_selectors.CategoryRow(*r))
            for r in Category.objects.filter(pk__in=missing).values_list(
                "pk", "slug", "name_vi", "name_en", "parent_id"
            )
        )
    return found


def _category_name(row: catalog_selectors.CategoryRow) -> str:
    english = (get_language() or "vi").startswith("en")
    return row.name_en if english and row.name_en else row.name_vi


def category_tree(options: list[dict]) -> list[dict]:
    """Category facet options in their hierarchy: each parent followed by its children (depth 1).
    A parent with no products of its own still heads its children (without a count)."""
    ids = [o["value"] for o in options]
    parents = {pk: row.parent_id for pk, row in _categories(ids).items()}
    top_ids = {parents.get(i) or i for i in ids}
    names = {pk: _category_name(row) for pk, row in _categories(top_ids).items()}
    by_id = {o["value"]: o for o in options}
    tree = []
    for top in sorted(top_ids, key=lambda t: names.get(t, "")):
        head = by_id.get(top) or {"value": top, "label": names.get(top, ""), "heading": True}
        tree.append({**head, "depth": 0})
        children = [o for o in options if parents.get(o["value"]) == top]
        tree += [{**o, "depth": 1} for o in sorted(children, key=lambda o: o["label"])]
    return tree


def filter_value_label(name: str, value: Any) -> str:
    """A readable name for a chosen filter value (a province or category code, a price bucket)."""
    from market.reference.admin_units import province_names

    if name == "province":
        return province_names([value]).get(value) or str(value)
    if name == "category":
        row = _categories([value]).get(value)
        return _category_name(row) if row else str(value)
    return str(value)


def nearest_categories(*, q: str, limit: int = 6) -> list:
    """Categories whose name shares a word with the query (folded), else the top-level ones: what
    a page with no results offers instead."""
    from market.reference.admin_units import fold

    words = {w for w in fold(q).split() if len(w) > 1}
    rows = list(catalog_selectors.category_rows().values())  # in the table's order
    near = [c for c in rows if words & set(_folded_words(c))]
    return (near or [c for c in rows if c.parent_id is None])[:limit]


def _folded_words(row: catalog_selectors.CategoryRow) -> list[str]:
    from market.reference.admin_units import fold

    return fold(f"{row.name_vi} {row.name_en}").split()


def saved_address(*, user: User) -> dict[str, Any]:
    """The buyer's last delivery details (name, phone, address), to fill the next checkout."""
    from orders.models import Checkout

    last = (
        Checkout.objects.filter(buyer=user)
        .order_by("-created_at", "-id")
        .values(
            "recipient_name",
            "recipient_phone",
            "address_line",
            "province_id",
            "ward_id",
            "country",
            "city",
            "postal_code",
            "incoterm",
        )
        .first()
    )
    if last is None:
        return {}
    saved: dict[str, Any] = {
        "recipient_name": last["recipient_name"],
        "recipient_phone": last["recipient_phone"],
    }
    if last["country"] in ("", "VN"):
        saved.update(
            address_line=last["address_line"],
            province_code=last["province_id"],
            ward_code=last["ward_id"],
        )
    else:
        saved.update(
            destination="EXPORT",
            country=last["country"],
            export_address_line1=last["address_line"],
            city=last["city"],
            postal_code=last["postal_code"],
            incoterm=last["incoterm"],
        )
    return {k: v for k, v in saved.items() if v not in (None, "")}


def checkout_groups(*, view: "CartView") -> dict[str, Any]:
    """The cart's lines grouped as checkout will split them, one group per cooperative, each
    with its subtotal and shipping fee (orders' own rule), and the grand total."""
    from orders.services.checkout import shipping_fee_for

    groups: dict[int, dict[str, Any]] = {}
    for pl in view.lines:
        coop = pl.product.cooperative
        g = groups.setdefault(
            coop.pk, {"cooperative": coop, "lines": [], "subtotal": 0, "weight": Decimal(0)}
        )
        g["lines"].append(pl)
        g["subtotal"] += pl.line_total_vnd
        g["weight"] += (pl.product.unit_weight_kg or Decimal(0)) * pl.quantity
    for g in groups.values():
        g["shipping"] = shipping_fee_for(
            cooperative=g["cooperative"], subtotal_vnd=g["subtotal"], weight_kg=g["weight"]
        )
        g["total"] = g["subtotal"] + g["shipping"]
    listed = list(groups.values())
    return {"groups": listed, "grand_total": sum(g["total"] for g in listed)}


def cart_incoterms(*, cart: Cart | None) -> tuple[list[str], bool]:
    """The Incoterms every cooperative in the cart offers (a cooperative offers what any of its
    products in the cart lists), and whether that narrowed the list. Cooperatives that list none
    do not narrow it; with no term in common, every term orders accepts is offered."""
    from catalog.models import Incoterm

    allowed = list(Incoterm.values)
    if cart is None:
        return allowed, False
    offered: dict[int, set[str]] = {}
    for coop_id, terms in cart.lines.values_list("product__cooperative_id", "product__incoterms"):
        offered.setdefault(coop_id, set()).update(str(t) for t in (terms or []))
    common = set(allowed)
    for terms in offered.values():
        if terms:
            common &= terms
    narrowed = [t for t in allowed if t in common]
    if not narrowed or len(narrowed) == len(allowed):
        return allowed, False
    return narrowed, True


def buyer_country(*, user: User) -> str:
    """The country on the buyer's profile (VN when there is no profile)."""
    from market.models import BuyerProfile

    return (
        BuyerProfile.objects.filter(user=user).values_list("country", flat=True).first() or "VN"
    ).upper()


# --- Refunds (the cooperative's staff and admins) ---


def order_refunds_for_staff(*, user: User, code: str) -> dict[str, Any]:
    """The refund screen of one order: the money received (by card, by bank transfer), its
    refunds, what is left to refund, and what `user` may do now (orders re-checks each action).
    NotFound unless `user` is staff of the order's cooperative or an admin (a buyer sees the
    refunds on the order's timeline)."""
    from orders.models import PaymentMethod
    from orders.services.access import actor_roles
    from orders.services.payment_status import refund_pending_vnd, refundable_vnd

    order = order_selectors.order_get_for_actor(user=user, code=code, detail=False)
    roles = actor_roles(actor=user, order=order)
    if not roles & {"coop", "admin"}:
        raise NotFound()
    refunds = list(order.refunds.select_related("payment", "created_by").order_by("pk"))
    received, card = order.amount_paid_vnd, order.amount_paid_card_vnd
    if order.payment_method == PaymentMethod.STRIPE and order.is_paid:
        card = received
    left = refundable_vnd(order)
    return {
        "order": order,
        "refunds": refunds,
        "received_vnd": received,
        "received_card_vnd": min(card, received),
        "received_wire_vnd": received - min(card, received),
        "refunded_vnd": order.amount_refunded_vnd,
        "pending_vnd": refund_pending_vnd(order),
        "left_vnd": left,
        "is_admin": "admin" in roles,
        "can_cancel": order.can_move_to(Order.Status.CANCELLED),
        "can_refund": order.takes_refunds and left > 0,
        "installments": order.payment_method == PaymentMethod.INSTALLMENTS,
    }
