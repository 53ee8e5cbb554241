"""Order mail, each message in its recipient's language.

The order services queue `orders.mail_*` tasks (orders/tasks.py) in their transaction; the task
calls one of these functions, which composes one mail per recipient and sends them itself over
one connection (market.shared.mail.mail_send_here: one task composes and sends every mail of a
checkout, each mail a step of it): a rolled-back change never mails anyone, and a mail failure
is retried and recorded without undoing the committed order change."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from market.models import Membership
from market.shared.mail import mail_compose, mail_send_here
from orders.models import Order, OrderEvent, Refund

# The cooperative's staff, read with the orders in one query (not one per order).
# In a fixed order: a mail task composes its mails again on a retry and skips those already sent.
_STAFF = Prefetch(
    "cooperative__memberships", queryset=Membership.objects.select_related("user").order_by("pk")
)


def _recipients(order: Order) -> list[tuple[str, str, str]]:
    """(email, language, role) for the buyer and the cooperative's staff (or its address)."""
    out = [(order.buyer.email, order.buyer.language or settings.LANGUAGE_CODE, "buyer")]
    staff = [
        (m.user.email, m.user.language or settings.LANGUAGE_CODE, "coop")
        for m in order.cooperative.memberships.all()  # prefetched with their users: _STAFF
        if m.user.is_active
    ]
    if not staff and order.cooperative.email:
        staff = [(order.cooperative.email, settings.LANGUAGE_CODE, "coop")]
    return out + staff


def _order_url(order: Order, role: str) -> str:
    """The page the recipient acts on. Pages are found by URL name (orders does not import the
    frontend); without those pages, the API resource is the link."""
    try:
        if role == "buyer":
            path = reverse("frontend:order_detail", kwargs={"code": order.code})
        else:
            path = reverse("frontend:coop_orders", kwargs={"coop_id": order.cooperative_id})
    except NoReverseMatch:
        path = f"/api/v1/orders/{order.code}/"
    return str(settings.SITE_URL).rstrip("/") + path


def _body(order: Order, role: str, headline: str) -> str:
    lines = [
        headline,
        "",
        _("Order %(code)s — %(coop)s")
        % {"code": order.code, "coop": order.cooperative.display_name},
    ]
    refused = _("refused")
    for ln in order.lines.all():
        mark = f" ({refused}: {ln.refused_reason})" if ln.refused else ""
        lines.append(
            f"- {ln.product_name}: {ln.quantity.normalize():f} × {ln.unit_price_vnd:,} ₫{mark}"
        )
    lines += [
        "",
        _("Total: %(total)s ₫") % {"total": f"{order.total_vnd:,}"},
        "",
        _order_url(order, role),
    ]
    return "\n".join(lines)


def _mails(
    order: Order, subject_and_headline: Callable[[str], tuple[object, object]]
) -> list[dict[str, Any]]:
    """One mail per recipient, composed in that recipient's language."""
    mails = []
    for email, lang, role in _recipients(order):
        with translation.override(lang):
            subject, headline = subject_and_headline(role)
            body = _body(order, role, str(headline))
        mails.append(mail_compose(to=[email], language=lang, subject=subject, body=body))
    return mails


def _send(mails: list[dict[str, Any]]) -> int:
    """Send `mails` from the mail task that composed them, over one connection (each mail a step
    of that task: a retry composes them again and sends only those not sent); queue them together
    outside a task. Returns how many."""
    return mail_send_here(mails)


def orders_placed(*, order_ids: list[int]) -> int:
    """The placement mails of one checkout's orders (one read of the orders and their lines),
    queued together."""
    orders = (
        Order.objects.filter(pk__in=order_ids)
        .select_related("buyer", "cooperative")
        .prefetch_related("lines", _STAFF)
        .order_by("pk")
    )
    return _send([mail for order in orders for mail in _order_placed(order)])


def order_placed(*, order_id: int) -> int:
    return orders_placed(order_ids=[order_id])


def _order_placed(order: Order) -> list[dict[str, Any]]:

    def text(role: str) -> tuple[object, object]:
        if role == "buyer":
            return (
                _("Your order %(code)s has been placed") % {"code": order.code},
                _("Thank you! %(coop)s has received your order.")
                % {"coop": order.cooperative.display_name},
            )
        return (
            _("New order %(code)s") % {"code": order.code},
            _("You have a new order. Please confirm it."),
        )

    return _mails(order, text)


def _order_for_mail(order_id: int) -> Order:
    """The order with what its mails read: the buyer, the cooperative and its staff."""
    return (
        Order.objects.select_related("buyer", "cooperative")
        .prefetch_related(_STAFF)
        .get(pk=order_id)
    )


def order_status_changed(*, order_id: int, event_id: int) -> int:
    order = _order_for_mail(order_id)
    event = OrderEvent.objects.get(pk=event_id)
    refunding = (
        order.refunds.exclude(status=Refund.Status.FAILED).aggregate(s=Sum("amount_vnd"))["s"] or 0
    )

    def text(role: str) -> tuple[object, object]:
        status = str(Order.Status(event.to_status).label)
        subject = _("Order %(code)s: %(status)s") % {"code": order.code, "status": status}
        headline = _("Order %(code)s is now: %(status)s.") % {"code": order.code, "status": status}
        if event.note:
            headline += "\n" + _("Note: %(note)s") % {"note": event.note}
        if event.to_status in Order.STOCK_RELEASING and refunding:
            headline += "\n" + _(
                "Everything received for this order, %(amount)s ₫, is refunded: card payments "
                "go back to the card, bank transfers by bank transfer."
            ) % {"amount": f"{refunding:,}"}
        if order.tracking_number and event.to_status == Order.Status.SHIPPED:
            headline += "\n" + _("Carrier: %(carrier)s, tracking number: %(number)s") % {
                "carrier": order.carrier,
                "number": order.tracking_number,
            }
        return subject, headline

    return _send(_mails(order, text))


def payment_received(*, order_id: int) -> int:
    order = _order_for_mail(order_id)

    def text(role: str) -> tuple[object, object]:
        return (
            _("Payment received for order %(code)s") % {"code": order.code},
            _("The payment for order %(code)s has been received.") % {"code": order.code},
        )

    return _send(_mails(order, text))


def payment_owed_again(*, order_id: int, event_id: int) -> int:
    """A card payment of an export order's installment was refunded at Stripe while its schedule
    runs: the buyer and the cooperative are told what is owed again (the event's note)."""
    order = _order_for_mail(order_id)
    event = OrderEvent.objects.get(pk=event_id, order=order)

    def text(role: str) -> tuple[object, object]:
        subject = _("Order %(code)s: a payment is owed again") % {"code": order.code}
        headline = _(
            "A card payment for order %(code)s was refunded at Stripe: the payment schedule is "
            "not paid in full until it is paid again."
        ) % {"code": order.code}
        return subject, headline + "\n" + _("Note: %(note)s") % {"note": event.note}

    return _send(_mails(order, text))


def refunded_at_stripe(*, order_id: int, refund_id: int) -> int:
    """Part or all of a card payment was given back at Stripe (its dashboard), not through our
    refund screen: the buyer and the cooperative are told how much of this order was refunded
    and what the order's payment now says."""
    order = _order_for_mail(order_id)
    refund = Refund.objects.get(pk=refund_id, order=order)

    def text(role: str) -> tuple[object, object]:
        subject = _("Order %(code)s: %(amount)s ₫ refunded to the card") % {
            "code": order.code,
            "amount": f"{refund.amount_vnd:,}",
        }
        headline = _(
            "%(amount)s ₫ of the card payment for order %(code)s was refunded at Stripe. "
            "Refunded so far: %(refunded)s ₫ of %(paid)s ₫ received."
        ) % {
            "amount": f"{refund.amount_vnd:,}",
            "code": order.code,
            "refunded": f"{order.amount_refunded_vnd:,}",
            "paid": f"{order.amount_paid_vnd:,}",
        }
        if role == "coop" and order.can_move_to(Order.Status.CANCELLED):
            headline += "\n" + _(
                "It comes out of the money for this order. The order itself is not cancelled: "
                "cancel it if the goods will not be sent."
            )
        return subject, headline + "\n" + _("Note: %(note)s") % {"note": refund.reason}

    return _send(_mails(order, text))
