"""Bounds on what one buyer can hold without paying.

The audit: a throwaway account checked out the whole stock of five products by bank transfer,
never paid, and every real buyer met `out_of_stock` for 48 hours. Stock is reserved at checkout
(it must be: otherwise two buyers pay for one sack of coffee), so the reservation itself is
what gets bounded:

- `ORDER_UNPAID_MAX_OPEN` open unpaid bank-transfer orders per buyer, and at most
  `ORDER_UNPAID_MAX_VALUE_VND` of them in value;
- `ORDER_CHECKOUTS_PER_HOUR` checkouts per buyer per hour, counted in the database (so every
  app server and both the API and the web pages share one count);
- a verified e-mail address for a checkout above `ORDER_VERIFIED_EMAIL_ABOVE_VND` (a throwaway
  address costs nothing; a confirmed one at least ties the hold to a reachable person);
- the reservation itself lasts `ORDER_BANK_TRANSFER_RESERVATION_HOURS` (settings explain the
  default).

`checkout_limits_check` runs inside the checkout transaction after the buyer's row is locked, so
two concurrent checkouts of one buyer are counted one after the other.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from market.models import User
from orders.errors import CheckoutThrottled, EmailNotVerified, UnpaidOrdersLimit
from orders.models import Checkout, Order, PaymentMethod

OPEN_STATUSES = (Order.Status.PLACED, Order.Status.CONFIRMED, Order.Status.PACKED)


def unpaid_bank_transfer_orders() -> Q:
    return Q(
        payment_method=PaymentMethod.BANK_TRANSFER,
        payment_status=Order.PaymentStatus.UNPAID,
        status__in=OPEN_STATUSES,
    )


def buyer_lock(buyer: User) -> None:
    """Serialise one buyer's checkouts (taken before any stock row: buyer, then products)."""
    # FOR NO KEY UPDATE: two checkouts of the buyer still take turns, but rows that merely
    # point at the buyer (their foreign key checks take KEY SHARE) are not held back.
    User.objects.select_for_update(of=("self",), no_key=True).filter(pk=buyer.pk).values_list(
        "pk"
    ).first()


def checkout_limits_check(
    *,
    buyer: User,
    payment_method: str,
    new_orders: int,
    total_vnd: int,
    now: datetime | None = None,
) -> None:
    """Raise CheckoutThrottled, EmailNotVerified or UnpaidOrdersLimit when a checkout priced at
    `total_vnd` in `new_orders` orders would go past a bound. Call with the buyer locked
    (`buyer_lock`), before the checkout is written."""
    now = now or timezone.now()
    recent = Checkout.objects.filter(buyer=buyer, created_at__gte=now - timedelta(hours=1))
    if recent.count() >= settings.ORDER_CHECKOUTS_PER_HOUR:
        raise CheckoutThrottled()
    if total_vnd > settings.ORDER_VERIFIED_EMAIL_ABOVE_VND and not buyer.email_verified_at:
        raise EmailNotVerified(
            _(
                "Confirm your e-mail address before placing an order above %(limit)s ₫: we sent "
                "you a link (or ask for a new one in your account)."
            )
            % {"limit": f"{settings.ORDER_VERIFIED_EMAIL_ABOVE_VND:,}".replace(",", ".")}
        )
    if payment_method != PaymentMethod.BANK_TRANSFER:
        return
    held = Order.objects.filter(unpaid_bank_transfer_orders(), buyer=buyer).aggregate(
        count=Count("pk"), value=Sum("total_vnd")
    )
    count, value = held["count"] + new_orders, (held["value"] or 0) + total_vnd
    if count > settings.ORDER_UNPAID_MAX_OPEN or value > settings.ORDER_UNPAID_MAX_VALUE_VND:
        raise UnpaidOrdersLimit(
            fields={
                "open_unpaid_orders": held["count"],
                "open_unpaid_value_vnd": held["value"] or 0,
                "max_orders": settings.ORDER_UNPAID_MAX_OPEN,
                "max_value_vnd": settings.ORDER_UNPAID_MAX_VALUE_VND,
            }
        )


def reservation_hours(payment_method: str) -> int:
    if payment_method == PaymentMethod.BANK_TRANSFER:
        return int(settings.ORDER_BANK_TRANSFER_RESERVATION_HOURS)
    return int(settings.ORDER_UNPAID_TIMEOUT_HOURS)
