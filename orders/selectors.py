"""Reads scoped to the actor: a buyer sees their orders, a cooperative's staff only its own,
admins all. "Missing" and "not yours" give the same NotFound."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Prefetch, QuerySet

from market.cooperatives.selectors import is_cooperative_staff
from market.models import Membership, User
from orders.errors import NotFound
from orders.models import Checkout, Order, OrderEvent, OrderLine, Refund

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
    # The orders are read with their cooperative only: their checkout is the one read here (the
    # prefetch sets it on each) and their buyer is `user`. Joining both again cost ~2 ms a read
    # (two more tables' columns to select and build), and the checkout API reads its new
    # checkout back after every checkout (bench/load.py).
    orders = Order.objects.select_related("cooperative").prefetch_related(*_DETAIL)
    checkout = (
        Checkout.objects.filter(pk=checkout_id, buyer=user)
        .prefetch_related(Prefetch("orders", queryset=orders.order_by("pk")), "payments")
        .first()
    )
    if checkout is None:
        raise NotFound()
    return checkout


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
