"""Reads scoped to the actor: a buyer sees their orders, a cooperative's staff only its own,
admins all. "Missing" and "not yours" give the same NotFound."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Prefetch, QuerySet

from market.cooperatives.selectors import is_cooperative_staff
from market.models import Membership, User
from market.shared.compiled import instances_for_ids
from orders.errors import NotFound
from orders.models import Checkout, Order, OrderEvent, OrderLine, Payment, Refund

_DETAIL = (
    Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
    Prefetch(
        "events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")
    ),
)


def _list_base() -> QuerySet[Order]:
    # Lists (API pages, CSV export) show no lines or timeline: nothing to prefetch.
    return Order.objects.select_related("cooperative", "buyer", "checkout")


def _base() -> QuerySet[Order]:
    return _list_base().prefetch_related(*_DETAIL)


def order_list_for_buyer(*, user: User, status: str | None = None) -> QuerySet[Order]:
    qs = _list_base().filter(buyer=user)
    return qs.filter(status=status) if status else qs


def cooperative_ids_for_staff(user: User) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("cooperative_id", flat=True))


def order_list_for_cooperative_staff(
    *, user: User, status: str | None = None, cooperative_id: int | None = None
) -> QuerySet[Order]:
    ids = cooperative_ids_for_staff(user)
    if cooperative_id is not None:
        ids = [i for i in ids if i == cooperative_id]
    # The desk page (frontend) lists each order's lines; API callers that don't clear this.
    qs = _list_base().filter(cooperative_id__in=ids).prefetch_related(_DETAIL[0])
    return qs.filter(status=status) if status else qs


_ANY_STATUS = "\x1fany-status"  # stands for each status in the compiled count (never stored)


def order_status_counts(orders: QuerySet[Order], *, up_to: int) -> dict[str, int]:
    """How many of `orders` (a list already scoped to its actor, e.g.
    `order_list_for_cooperative_staff`) are in each status, each counted only up to `up_to` + 1
    (a count above `up_to` means "more than `up_to`"), in one statement. An exact count reads
    every order of a cooperative: the order desk did that on each page, so it grew with every
    order placed (2.5 ms of the database a page at 8,000 orders). Each status here is read from
    the (cooperative, status, placed_at, id) index and stops after `up_to` + 1 rows."""
    # One statement compiled for a stand-in status, repeated for each status with its own value
    # (compiling one per status cost 2.2 ms of CPU a call, four times the old GROUP BY).
    capped = orders.filter(status=_ANY_STATUS).order_by().values("pk")[: up_to + 1]
    try:
        sql, args = capped.query.sql_with_params()
    except EmptyResultSet:  # scoped to nothing (e.g. no cooperative of the user's): no orders
        return {}
    (at,) = [i for i, arg in enumerate(args) if arg == _ANY_STATUS]
    # Django's own SQL for the capped read; every value goes through %s parameters.
    one = f"SELECT %s, (SELECT COUNT(*) FROM ({sql}) capped)"  # noqa: S608
    params: list[Any] = []
    for status in Order.Status.values:
        params += [status, *args[:at], status, *args[at + 1 :]]
    parts = [one] * len(Order.Status.values)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {status: n for status, n in cursor.fetchall() if n}


def order_list_for_admin(*, user: User, status: str | None = None) -> QuerySet[Order]:
    if not user.is_platform_admin:
        return Order.objects.none()
    qs = _list_base()
    return qs.filter(status=status) if status else qs


def order_get_for_actor(*, user: User, code: str, detail: bool = True) -> Order:
    """The order if `user` is its buyer, staff of its cooperative, or an admin; else NotFound.
    `detail=False` skips the lines and timeline (a visibility check before a service call)."""
    if user is None or not user.is_authenticated:
        raise NotFound()
    order = (_base() if detail else _list_base()).filter(code=code).first()
    if order is None:
        raise NotFound()
    if user.is_platform_admin or order.buyer_id == user.pk:
        return order
    if is_cooperative_staff(user=user, cooperative_id=order.cooperative_id):
        return order
    raise NotFound()


def checkout_get_for_buyer(*, user: User, checkout_id: int) -> Checkout:
    """The buyer's checkout with its orders (and their cooperative, lines and timeline) and
    payments, as `checkout_detail_queryset` reads it, in the same five statements, each
    compiled once per connection (market.shared.compiled): the checkout API reads its new
    checkout back after every checkout, and building and compiling these five queries through
    the prefetch machinery was ~7% of the web's CPU under bench/load.py (py-spy)."""
    found = instances_for_ids("checkout-detail", Checkout, _checkouts, [checkout_id])
    if not found or found[0].buyer_id != user.pk:
        raise NotFound()
    checkout = found[0]
    # The orders are read with their cooperative only: their checkout is the one read here
    # (set on each below) and their buyer is `user`.
    orders = instances_for_ids("checkout-detail-orders", Order, _orders_of, [checkout.pk])
    _prefetched(checkout, "orders", orders)
    ids = [o.pk for o in orders]
    lines = instances_for_ids("checkout-detail-lines", OrderLine, _lines_of, ids)
    events = instances_for_ids("checkout-detail-events", OrderEvent, _events_of, ids)
    for order in orders:
        _prefetched(order, "lines", [ln for ln in lines if ln.order_id == order.pk])
        _prefetched(order, "events", [e for e in events if e.order_id == order.pk])
    payments = instances_for_ids("checkout-detail-payments", Payment, _payments_of, [checkout.pk])
    _prefetched(checkout, "payments", payments)
    return checkout


def checkout_detail_queryset(*, user: User, checkout_id: int) -> QuerySet[Checkout]:
    """What `checkout_get_for_buyer` reads, as one queryset with its prefetches (the reference
    its compiled statements are checked against)."""
    orders = Order.objects.select_related("cooperative").prefetch_related(*_DETAIL)
    return Checkout.objects.filter(pk=checkout_id, buyer=user).prefetch_related(
        Prefetch("orders", queryset=orders.order_by("pk")), "payments"
    )


def _checkouts(ids: list[int]) -> QuerySet[Checkout]:
    return Checkout.objects.filter(pk__in=ids)


def _orders_of(checkout_ids: list[int]) -> QuerySet[Order]:
    return (
        Order.objects.filter(checkout_id__in=checkout_ids)
        .select_related("cooperative")
        .order_by("pk")
    )


def _lines_of(order_ids: list[int]) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(order_id__in=order_ids).order_by("id")


def _events_of(order_ids: list[int]) -> QuerySet[OrderEvent]:
    return (
        OrderEvent.objects.filter(order_id__in=order_ids)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def _payments_of(checkout_ids: list[int]) -> QuerySet[Payment]:
    return Payment.objects.filter(checkout_id__in=checkout_ids).order_by("id")  # as Meta


def _prefetched(instance: Any, name: str, objs: list[Any]) -> None:
    """Keep `objs` as `instance`'s reverse relation `name` read, as prefetch_related keeps it
    (each object's foreign key to `instance` set too, so reaching back reads nothing)."""
    manager = getattr(instance, name)
    field = manager.field
    for obj in objs:
        field.set_cached_value(obj, instance)
    queryset = manager.get_queryset()
    queryset._result_cache, queryset._prefetch_done = objs, True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[field.remote_field.cache_name] = queryset


def refund_list_for_admin(
    *, user: User, status: str | None = None, provider: str | None = None
) -> QuerySet[Refund]:
    """Every refund (newest first) for a platform admin; nothing for anyone else. `provider`
    filters by the payment rail (bank transfers to pay back: status=PENDING, provider=bank_transfer)."""
    if not user.is_platform_admin:
        return Refund.objects.none()
    qs = Refund.objects.select_related("order", "payment").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    return qs.filter(payment__provider=provider) if provider else qs


def unpaid_holder_list_for_admin(*, limit: int = 50) -> list[dict[str, Any]]:
    """Buyers holding the most stock in unpaid bank-transfer orders, largest value first: who to
    look at when real buyers meet `out_of_stock`. Each row carries its open unpaid orders (code,
    total, reserved until), soonest to expire first. Callers check the admin role."""
    from django.db.models import Count, Min, Sum

    from orders.services.limits import unpaid_bank_transfer_orders

    rows = (
        Order.objects.filter(unpaid_bank_transfer_orders())
        .values("buyer_id", "buyer__email", "buyer__date_joined", "buyer__email_verified_at")
        .annotate(
            open_orders=Count("pk", distinct=True),
            unpaid_value_vnd=Sum("total_vnd"),
            oldest_reserved_until=Min("reserved_until"),
        )
        .order_by("-unpaid_value_vnd", "buyer_id")[:limit]
    )
    quantities = dict(
        OrderLine.objects.filter(
            order__in=Order.objects.filter(unpaid_bank_transfer_orders()),
            order__buyer_id__in=[r["buyer_id"] for r in rows],
        )
        .values("order__buyer_id")
        .annotate(q=Sum("quantity"))
        .values_list("order__buyer_id", "q")
    )
    orders: dict[int, list[dict[str, Any]]] = {}
    for o in (
        Order.objects.filter(unpaid_bank_transfer_orders())
        .filter(buyer_id__in=[r["buyer_id"] for r in rows])
        .order_by("reserved_until", "pk")
        .values("buyer_id", "code", "total_vnd", "reserved_until")
    ):
        orders.setdefault(o["buyer_id"], []).append(dict(o))
    return [
        {
            "buyer_id": r["buyer_id"],
            "email": r["buyer__email"],
            "joined_at": r["buyer__date_joined"],
            "email_verified": r["buyer__email_verified_at"] is not None,
            "open_orders": r["open_orders"],
            "unpaid_value_vnd": r["unpaid_value_vnd"] or 0,
            "reserved_quantity": quantities.get(r["buyer_id"], 0),
            "oldest_reserved_until": r["oldest_reserved_until"],
            "orders": orders.get(r["buyer_id"], []),
        }
        for r in rows
    ]


SOLD = [s for s in Order.Status.values if s not in Order.STOCK_RELEASING]


def sales_per_week_for_cooperative(
    *, cooperative_id: int, weeks: int = 12, today: date | None = None
) -> list[tuple[date, int]]:
    """Goods sold (order subtotals, cancelled and refused orders left out) per week, Monday to
    Sunday, for the last `weeks` weeks including this one: [(monday, vnd), ...], oldest first.
    The caller has checked the actor may see the cooperative."""
    from datetime import timedelta

    from django.db.models import Sum
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    today = today or timezone.localdate()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    rows = (
        Order.objects.filter(
            cooperative_id=cooperative_id, status__in=SOLD, placed_at__date__gte=first
        )
        .annotate(day=TruncDate("placed_at"))
        .values("day")
        .annotate(s=Sum("subtotal_vnd"))
        .order_by()
    )
    buckets = {first + timedelta(weeks=i): 0 for i in range(weeks)}
    for row in rows:
        monday = row["day"] - timedelta(days=row["day"].weekday())
        if monday in buckets:
            buckets[monday] += row["s"] or 0
    return sorted(buckets.items())


def top_products_for_cooperative(
    *, cooperative_id: int, since: datetime, limit: int = 5
) -> list[Any]:  # [{product_id, product_name, unit, quantity, revenue_vnd}]
    """The cooperative's best sellers since `since` by revenue: name, quantity, revenue."""
    from django.db.models import Sum

    return list(
        OrderLine.objects.filter(
            order__cooperative_id=cooperative_id,
            order__status__in=SOLD,
            order__placed_at__gte=since,
            refused=False,
        )
        .values("product_id", "product_name", "unit")
        .annotate(quantity=Sum("quantity"), revenue_vnd=Sum("line_total_vnd"))
        .order_by("-revenue_vnd", "product_id")[:limit]
    )


def province_codes_most_shipped_to(*, limit: int = 5, days: int = 365) -> list[int]:
    """The provinces buyers ship to most (checkouts of the last `days` days), most used first:
    the address form lists them before the alphabetical list (issue 16). Cached for
    `ORDER_PROVINCE_RANKING_CACHE_SECONDS` (an hour): the ranking moves slowly and the count is a
    scan of a year of checkouts."""
    from datetime import timedelta

    from django.conf import settings
    from django.core.cache import cache
    from django.db.models import Count
    from django.utils import timezone

    def count() -> list[int]:
        since = timezone.now() - timedelta(days=days)
        rows = (
            Checkout.objects.filter(country="VN", province__isnull=False, created_at__gte=since)
            .values("province_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "province_id")[:limit]
        )
        return [r["province_id"] for r in rows]

    seconds = settings.ORDER_PROVINCE_RANKING_CACHE_SECONDS
    if not seconds:
        return count()
    return list(cache.get_or_set(f"orders:most-shipped-to:{limit}:{days}", count, seconds) or [])
