"""Order mail, sent after commit, each message in its recipient's language.

Called from `transaction.on_commit`, so a rolled-back change never mails anyone. A mail failure
is logged and does not undo the order change that is already committed."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from orders.models import Order, OrderEvent

log = logging.getLogger("htx.orders.mail")


def _recipients(order: Order) -> list[tuple[str, str, str]]:
    """(email, language, role) for the buyer and the cooperative's staff (or its address)."""
    out = [(order.buyer.email, order.buyer.language or settings.LANGUAGE_CODE, "buyer")]
    staff = [
        (m.user.email, m.user.language or settings.LANGUAGE_CODE, "coop")
        for m in order.cooperative.memberships.select_related("user")
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
    return settings.SITE_URL.rstrip("/") + path


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


def _send(order: Order, subject_and_headline) -> int:
    messages = []
    for email, lang, role in _recipients(order):
        with translation.override(lang):
            subject, headline = subject_and_headline(role)
            messages.append(
                EmailMessage(
                    subject=str(subject),
                    body=_body(order, role, str(headline)),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[email],
                )
            )
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # mail must never break a committed order change
        log.exception("order mail failed for %s", order.code)
        return 0


def orders_placed(*, order_ids: list[int]) -> int:
    """The placement mails of one checkout's orders (one read of the orders and their lines)."""
    orders = (
        Order.objects.filter(pk__in=order_ids)
        .select_related("buyer", "cooperative")
        .prefetch_related("lines")
        .order_by("pk")
    )
    return sum(_order_placed(order) for order in orders)


def order_placed(*, order_id: int) -> int:
    return orders_placed(order_ids=[order_id])


def _order_placed(order: Order) -> int:

    def text(role):
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

    return _send(order, text)


def order_status_changed(*, order_id: int, event_id: int) -> int:
    order = Order.objects.select_related("buyer", "cooperative").get(pk=order_id)
    event = OrderEvent.objects.get(pk=event_id)

    def text(role):
        status = str(Order.Status(event.to_status).label)
        subject = _("Order %(code)s: %(status)s") % {"code": order.code, "status": status}
        headline = _("Order %(code)s is now: %(status)s.") % {"code": order.code, "status": status}
        if event.note:
            headline += "\n" + _("Note: %(note)s") % {"note": event.note}
        if order.tracking_number and event.to_status == Order.Status.SHIPPED:
            headline += "\n" + _("Carrier: %(carrier)s, tracking number: %(number)s") % {
                "carrier": order.carrier,
                "number": order.tracking_number,
            }
        return subject, headline

    return _send(order, text)


def payment_received(*, order_id: int) -> int:
    order = Order.objects.select_related("buyer", "cooperative").get(pk=order_id)

    def text(role):
        return (
            _("Payment received for order %(code)s") % {"code": order.code},
            _("The payment for order %(code)s has been received.") % {"code": order.code},
        )

    return _send(order, text)
