"""Money arithmetic, in one place: VND (no minor unit, whole đồng), USD (cents) at a stored rate,
Stripe's smallest units, line totals and the platform's commission.

Nothing here touches the database; every rounding rule of the orders app is written once here."""

from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from django.conf import settings

VND, USD = "VND", "USD"
CENT = Decimal("0.01")


def line_total(price_vnd: int, quantity: Decimal) -> int:
    """A line's total in whole đồng (half-even rounding of price × quantity)."""
    return int((Decimal(price_vnd) * quantity).to_integral_value())


def usd(total_vnd: int, rate: int | Decimal) -> Decimal:
    """VND to USD at `rate` (VND per USD), rounded UP to the cent: the buyer never pays less than
    the VND total. Refund parts use differences of this function so they add up to the charge."""
    return (Decimal(total_vnd) / Decimal(rate)).quantize(CENT, rounding=ROUND_CEILING)


def commission_percent() -> Decimal:
    """The platform's commission rate today (snapshotted on each order)."""
    return Decimal(str(settings.PLATFORM_COMMISSION_PERCENT)).quantize(CENT)


def commission_vnd(subtotal_vnd: int, percent: Decimal) -> int:
    """The platform's commission in whole đồng (half-even rounding), at placement and after
    refused lines. Shipping fees carry no commission."""
    return int((Decimal(subtotal_vnd) * percent / 100).to_integral_value())


def commission_back_vnd(*, charged_vnd: int, released_vnd: int, refunded_vnd: int) -> int:
    """The commission given back on `refunded_vnd` refunded after release: the share of the
    commission charged on the `released_vnd` released, half-even, never above what was charged.
    Differences of this function over the refunds so far add up to at most the charge."""
    if released_vnd <= 0 or charged_vnd <= 0:
        return 0
    share = Decimal(charged_vnd) * min(refunded_vnd, released_vnd) / released_vnd
    return min(charged_vnd, int(share.to_integral_value()))


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in Stripe's smallest unit: VND is zero-decimal (never ×100), USD in cents."""
    if currency == VND:
        return int(amount)
    return int((amount * 100).to_integral_value())


def from_minor(minor: int, currency: str) -> Decimal:
    """The inverse of `to_minor`."""
    return Decimal(minor) if currency == VND else Decimal(minor) / 100


def vnd_to_minor(total_vnd: int, currency: str, rate: int | None) -> int:
    """What a VND total costs in Stripe's smallest unit of `currency` (USD at the checkout's rate)."""
    if currency == VND:
        return int(total_vnd)
    if rate is None:
        raise ValueError("a USD amount needs the checkout's exchange rate")
    return to_minor(usd(total_vnd, rate), USD)


# --- amounts quoted in a currency (export orders from a quote) ---


def money_round(amount: Decimal, currency: str) -> Decimal:
    """An amount in `currency` rounded half-even: VND to whole đồng, USD to the cent."""
    step = Decimal("1") if currency == VND else CENT
    return Decimal(amount).quantize(step, rounding=ROUND_HALF_EVEN)


def to_vnd(amount: Decimal, currency: str, rate: Decimal) -> int:
    """A quoted amount in whole đồng at `rate` (VND per USD), half-even."""
    if currency == VND:
        return int(money_round(amount, VND))
    return int(money_round(Decimal(amount) * rate, VND))
