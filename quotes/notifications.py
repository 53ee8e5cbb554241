"""RFQ mail, queued in each recipient's language (market.shared.mail.mail_queue_many: one background
task after commit for the mails of one event, retried on failure, never undoing the committed
change)."""

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from market.models import Cooperative
from market.shared.mail import mail_compose, mail_queue_many
from quotes.models import Quote, Rfq, RfqMessage

log = logging.getLogger("htx.quotes.mail")


def _staff(cooperative: Cooperative) -> list[tuple[str, str]]:
    people = [
        (m.user.email, m.user.language or settings.LANGUAGE_CODE)
        for m in cooperative.memberships.select_related("user")
        if m.user.is_active
    ]
    if not people and cooperative.email:
        people = [(cooperative.email, settings.LANGUAGE_CODE)]
    return people


def _send(people, subject_fn, body_fn) -> None:
    """One mail per person in their language, queued together (one task)."""
    mails = []
    for email, language in people:
        with translation.override(language):
            subject, body = subject_fn(), body_fn()
        mails.append(mail_compose(to=[email], language=language, subject=subject, body=body))
    mail_queue_many(mails)


def _url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def rfq_posted(*, rfq_id: int) -> None:
    """Tell the addressed cooperative, or every matching verified cooperative of an open RFQ."""
    from quotes.selectors import cooperatives_matching

    rfq = Rfq.objects.select_related("cooperative").get(pk=rfq_id)
    coops = [rfq.cooperative] if rfq.cooperative else cooperatives_matching(rfq=rfq)
    for coop in coops:
        _send(
            _staff(coop),
            lambda: _("New request for quotation %(code)s") % {"code": rfq.code},
            lambda: (
                _(
                    "%(title)s: %(qty)s %(unit)s, %(inc)s %(place)s, to %(country)s. "
                    "Quote before %(closes)s: %(url)s"
                )
                % {
                    "title": rfq.title,
                    "qty": rfq.quantity.normalize(),
                    "unit": rfq.unit,
                    "inc": rfq.incoterm,
                    "place": rfq.named_place,
                    "country": rfq.destination_country,
                    "closes": rfq.closes_at.date().isoformat(),
                    "url": _url(f"/rfq/{rfq.pk}/"),
                }
            ),
        )


def quote_received(*, quote_id: int) -> None:
    quote = Quote.objects.select_related("rfq__buyer", "cooperative").get(pk=quote_id)
    buyer = quote.rfq.buyer
    _send(
        [(buyer.email, buyer.language or settings.LANGUAGE_CODE)],
        lambda: (
            _("Quote from %(coop)s on %(code)s")
            % {"coop": quote.cooperative.display_name, "code": quote.rfq.code}
        ),
        lambda: (
            _("Revision %(rev)s. Compare the quotes: %(url)s")
            % {"rev": quote.revision, "url": _url(f"/rfq/{quote.rfq_id}/")}
        ),
    )


def quote_decided(*, accepted_id: int, declined_ids: list[int]) -> None:
    """The accepted cooperative gets the order; the others learn their quote was declined."""
    accepted = Quote.objects.select_related("rfq", "cooperative", "order").get(pk=accepted_id)
    order = accepted.order
    assert order is not None  # an accepted quote has its order
    _send(
        _staff(accepted.cooperative),
        lambda: _("Your quote on %(code)s was accepted") % {"code": accepted.rfq.code},
        lambda: _("Order %(order)s was created from your quote.") % {"order": order.code},
    )
    for quote in Quote.objects.filter(pk__in=declined_ids).select_related("rfq", "cooperative"):
        _send(
            _staff(quote.cooperative),
            lambda q=quote: _("Your quote on %(code)s was declined") % {"code": q.rfq.code},
            lambda: _("The buyer accepted another quote. Thank you for quoting."),
        )


def message_posted(*, message_id: int) -> None:
    message = RfqMessage.objects.select_related("rfq__buyer", "cooperative", "author").get(
        pk=message_id
    )
    rfq = message.rfq
    if message.author_id == rfq.buyer_id:
        people = _staff(message.cooperative)
    else:
        people = [(rfq.buyer.email, rfq.buyer.language or settings.LANGUAGE_CODE)]
    _send(
        people,
        lambda: _("New message on %(code)s") % {"code": rfq.code},
        lambda: (message.body or "")[:500] + "\n" + _url(f"/rfq/{rfq.pk}/"),
    )
