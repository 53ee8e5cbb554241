"""RFQ and quote use cases: post, close (early or at the closing date), quote and revise,
withdraw, accept (one order through orders.services.export), and the message threads.

Lock order for acceptance: the RFQ row, then its quotes in pk order, then what orders locks.
Two acceptances of one RFQ at once therefore queue on the RFQ row; the second sees it AWARDED.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category, Certification, Incoterm, Product, ProductFamily
from catalog.units import Unit
from market.cooperatives.selectors import is_cooperative_staff
from market.models import BuyerProfile, Cooperative, User
from orders.models import BalanceDue
from orders.services.export import ExportOrderSpec, export_order_create, rate_in_force
from quotes import notifications
from quotes.errors import (
    BelowMoq,
    CompanyBuyerRequired,
    CurrencyUnsupported,
    DepositPercentInvalid,
    IncotermInvalid,
    NotFound,
    PermissionDenied,
    QuoteLocked,
    QuoteNotAcceptable,
    RfqAwarded,
    RfqClosed,
    ValidationFailed,
)
from quotes.models import CURRENCIES, Quote, QuoteRevision, Rfq, RfqMessage
from quotes.selectors import rfq_get_for_actor

SUPPORTED = {c for c, _l in CURRENCIES}


# --- input checks shared by RFQs and quotes ---


def _decimal(
    data: dict[str, Any],
    name: str,
    errors: dict[str, Any],
    *,
    required: bool = True,
    positive: bool = True,
) -> Decimal | None:
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            errors[name] = [_("This field is required.")]
        return None
    try:
        value = Decimal(str(raw).replace(",", ""))
        if not value.is_finite() or (positive and value <= 0):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors[name] = [_("Enter a number above zero.")]
        return None
    return value


def _text(
    data: dict[str, Any], name: str, size: int, errors: dict[str, Any], *, required: bool = True
) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        errors[name] = [_("This field is required.")]
    return value[:size]


def _check_incoterm(value: Any) -> str:
    if value not in Incoterm.values:
        raise IncotermInvalid(
            fields={"incoterm": [_("Choose one of: %(l)s.") % {"l": ", ".join(Incoterm.values)}]}
        )
    return str(value)  # one of the choices' values, a str


def _check_currency(value: Any, field: str = "currency") -> str:
    if value not in SUPPORTED:
        raise CurrencyUnsupported(fields={field: [str(value)]})
    return str(value)  # one of the supported codes, a str


def _date(data: dict[str, Any], name: str, errors: dict[str, Any]) -> date | None:
    value = data.get(name)
    if hasattr(value, "isoformat"):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except (TypeError, ValueError):
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None


# --- RFQs ---


def _require_company_buyer(user: User) -> BuyerProfile:
    profile = BuyerProfile.objects.filter(user=user).first()
    if profile is None or profile.kind != BuyerProfile.Kind.COMPANY:
        raise CompanyBuyerRequired()
    return profile


def _rfq_product(
    data: dict[str, Any], errors: dict[str, Any]
) -> tuple[ProductFamily | None, Product | None]:
    """The family asked for, and the variant when one was chosen. `variant_id`, or the older
    `product_id` (a variant id, kept for existing clients), names the family through its
    variant; `family_id` names it alone. Only what is on sale (an active variant) can be asked
    for."""
    variant = family = None
    variant_key = "variant_id" if data.get("variant_id") else "product_id"
    if data.get(variant_key):
        variant = (
            Product.objects.select_related("family")
            .filter(pk=data[variant_key], status="ACTIVE")
            .first()
        )
        if variant is None:
            errors[variant_key] = [_("Unknown product.")]
    if data.get("family_id"):
        family = (
            ProductFamily.objects.filter(pk=data["family_id"], variants__status="ACTIVE")
            .distinct()
            .first()
        )
        if family is None:
            errors["family_id"] = [_("Unknown product.")]
        elif variant is not None and variant.family_id != family.pk:
            errors[variant_key] = [_("This choice is not one of the product's options.")]
    if variant is not None and family is None and "family_id" not in errors:
        family = variant.family
    return family, variant


def _rfq_target(
    data: dict[str, Any], errors: dict[str, Any]
) -> tuple[ProductFamily | None, Product | None, Category | None, Cooperative | None]:
    cooperative = category = None
    family, variant = _rfq_product(data, errors)
    if data.get("category_id"):
        category = Category.objects.filter(pk=data["category_id"]).first()
        if category is None:
            errors["category_id"] = [_("Unknown category.")]
    if data.get("cooperative_id"):
        cooperative = Cooperative.objects.filter(
            pk=data["cooperative_id"], status=Cooperative.Status.VERIFIED
        ).first()
        if cooperative is None:
            errors["cooperative_id"] = [_("Unknown or unverified cooperative.")]
    if family is not None:
        category = category or family.category
        if data.get("direct", True) and cooperative is None:
            cooperative = family.cooperative  # "Request a quote" on a product page
    named = {"family_id", "variant_id", "product_id"} & set(errors)
    if family is None and category is None and not named:
        errors["category_id"] = [_("Choose a product or a category.")]
    return family, variant, category, cooperative


def _rfq_values(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    _check_incoterm(data.get("incoterm"))
    if data.get("target_price") not in (None, ""):
        _check_currency(data.get("target_currency"), "target_currency")
    family, variant, category, cooperative = _rfq_target(data, errors)
    values: dict[str, Any] = {
        "family": family,
        "product": variant,
        "category": category,
        "cooperative": cooperative,
        "title": _text(data, "title", 200, errors),
        "specification": _text(data, "specification", 5000, errors, required=False),
        "quantity": _decimal(data, "quantity", errors),
        "target_price": _decimal(data, "target_price", errors, required=False),
        "named_place": _text(data, "named_place", 120, errors),
        "packaging": _text(data, "packaging", 255, errors, required=False),
        "sample_wanted": bool(data.get("sample_wanted")),
        "delivery_from": _date(data, "delivery_from", errors),
        "delivery_to": _date(data, "delivery_to", errors),
        "incoterm": data["incoterm"],
    }
    values["target_currency"] = data.get("target_currency") or "" if values["target_price"] else ""
    unit = data.get("unit")
    if unit not in Unit.values:
        errors["unit"] = [_("Unknown unit.")]
    country = str(data.get("destination_country") or "").upper()
    if len(country) != 2 or not country.isalpha():
        errors["destination_country"] = [_("Use a two-letter country code (ISO 3166-1).")]
    elif country == "VN":
        errors["destination_country"] = [
            _("Requests for quotation are for export; order within Vietnam from the product page.")
        ]
    certs = list(data.get("certifications") or [])
    if any(c not in Certification.Kind.values for c in certs):
        errors["certifications"] = [_("Unknown certification.")]
    closes_at = data.get("closes_at")
    if isinstance(closes_at, str):
        try:
            closes_at = datetime.fromisoformat(closes_at)
        except ValueError:
            closes_at = None
    if closes_at is not None and timezone.is_naive(closes_at):
        closes_at = timezone.make_aware(closes_at)
    if closes_at is None or closes_at <= timezone.now():
        errors["closes_at"] = [_("The closing date must be in the future.")]
    window = values["delivery_from"], values["delivery_to"]
    if all(window) and window[1] < window[0]:
        errors["delivery_to"] = [_("The delivery window ends before it starts.")]
    if errors:
        raise ValidationFailed(fields=errors)
    values.update(unit=unit, destination_country=country, certifications=certs, closes_at=closes_at)
    return values


@transaction.atomic
def rfq_create(*, buyer: User, data: dict[str, Any]) -> Rfq:
    """A company buyer posts an RFQ, to one cooperative (`cooperative_id`, or the product's
    cooperative) or open (`direct=False` with a product, or a category). The cooperatives it is
    shown to are told after commit. Raises CompanyBuyerRequired, ValidationFailed,
    IncotermInvalid, CurrencyUnsupported."""
    profile = _require_company_buyer(buyer)
    values = _rfq_values({"destination_country": profile.country, **data})
    rfq = Rfq.objects.create(buyer=buyer, **values)
    rfq.code = f"RFQ-{rfq.created_at.year}-{rfq.pk:06d}"
    rfq.save(update_fields=["code"])
    transaction.on_commit(lambda: notifications.rfq_posted(rfq_id=rfq.pk))
    return rfq


def _lock_rfq(rfq_id: int) -> Rfq:
    rfq = Rfq.objects.select_for_update().filter(pk=rfq_id).first()
    if rfq is None:
        raise NotFound()
    return rfq


@transaction.atomic
def rfq_close(*, actor: User, rfq_id: int) -> Rfq:
    """The buyer (or an admin) closes an open RFQ early. Closing a closed one changes nothing.
    Raises NotFound, PermissionDenied."""
    access = rfq_get_for_actor(user=actor, rfq_id=rfq_id)
    if not access.is_buyer_side:
        raise PermissionDenied()
    rfq = _lock_rfq(rfq_id)
    if rfq.status == Rfq.Status.OPEN:
        rfq.status, rfq.closed_at = Rfq.Status.CLOSED, timezone.now()
        rfq.save(update_fields=["status", "closed_at", "updated_at"])
    return rfq


def rfq_close_due(
    *, now: datetime | None = None, progress: Callable[[int, int], object] | None = None
) -> tuple[int, int]:
    """Close every open RFQ whose closing date passed, each in its own transaction, re-checked
    under its lock. Safe to re-run. Returns (closed, checked)."""
    now = now or timezone.now()
    ids = list(
        Rfq.objects.filter(status=Rfq.Status.OPEN, closes_at__lte=now).values_list("pk", flat=True)
    )
    closed = 0
    for n, rfq_id in enumerate(ids, start=1):
        with transaction.atomic():
            rfq = _lock_rfq(rfq_id)
            if rfq.status == Rfq.Status.OPEN and rfq.closes_at <= now:
                rfq.status, rfq.closed_at = Rfq.Status.CLOSED, now
                rfq.save(update_fields=["status", "closed_at", "updated_at"])
                closed += 1
        if progress:
            progress(n, len(ids))
    return closed, len(ids)


# --- quotes ---


def _quote_values(data: dict[str, Any], cooperative: Cooperative) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    _check_currency(data.get("currency"))
    _check_incoterm(data.get("incoterm"))
    deposit = _decimal(data, "deposit_percent", errors, positive=False)
    if deposit is not None and not (0 <= deposit <= 100):
        raise DepositPercentInvalid(fields={"deposit_percent": [str(deposit)]})
    product_id: Any = data.get("product_id")  # untyped input; no product for a missing id
    product = Product.objects.filter(pk=product_id, cooperative=cooperative).first()
    if product is None:
        errors["product_id"] = [_("Choose one of your cooperative's products.")]
    values: dict[str, Any] = {
        "product": product,
        "unit_price": _decimal(data, "unit_price", errors),
        "currency": data["currency"],
        "incoterm": data["incoterm"],
        "named_place": _text(data, "named_place", 120, errors),
        "quantity": _decimal(data, "quantity", errors),
        "moq": _decimal(data, "moq", errors),
        "valid_until": _date(data, "valid_until", errors),
        "deposit_percent": deposit,
        "packaging": _text(data, "packaging", 255, errors, required=False),
        "note": _text(data, "note", 5000, errors, required=False),
    }
    try:
        lead_time: Any = data.get("lead_time_days")  # TypeError for a missing one
        values["lead_time_days"] = int(lead_time)
        if not 0 < values["lead_time_days"] <= 365:
            raise ValueError
    except (TypeError, ValueError):
        errors["lead_time_days"] = [_("Enter a number of days between 1 and 365.")]
    if data.get("balance_due") not in BalanceDue.values:
        errors["balance_due"] = [_("Choose when the balance is due.")]
    values["balance_due"] = data.get("balance_due")
    if values["valid_until"] and values["valid_until"] < timezone.localdate():
        errors["valid_until"] = [_("The validity date is in the past.")]
    if values["quantity"] and values["moq"] and values["moq"] > values["quantity"]:
        errors["moq"] = [_("The MOQ cannot exceed the quantity you can supply.")]
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def _quoting_cooperative(*, actor: User, rfq_id: int, cooperative_id: int | None) -> Cooperative:
    access = rfq_get_for_actor(user=actor, rfq_id=rfq_id)
    ids = access.cooperative_ids
    if cooperative_id is not None:
        ids = [c for c in ids if c == int(cooperative_id)]
    if not ids:
        if "coop" in access.roles or cooperative_id is not None:
            raise NotFound()
        raise PermissionDenied(_("Only the cooperatives this request is shown to can quote."))
    return Cooperative.objects.get(pk=ids[0])


def _snapshot(quote: Quote) -> dict[str, Any]:
    return {
        "product_id": quote.product_id,
        "unit_price": str(quote.unit_price),
        "currency": quote.currency,
        "unit": quote.unit,
        "incoterm": quote.incoterm,
        "named_place": quote.named_place,
        "quantity": str(quote.quantity),
        "moq": str(quote.moq),
        "lead_time_days": quote.lead_time_days,
        "valid_until": quote.valid_until.isoformat(),
        "deposit_percent": str(quote.deposit_percent),
        "balance_due": quote.balance_due,
        "packaging": quote.packaging,
        "note": quote.note,
        "usd_vnd_rate": str(quote.usd_vnd_rate),
        "rate_date": quote.rate_date.isoformat(),
        "rate_source": quote.rate_source,
    }


@transaction.atomic
def quote_submit(
    *, actor: User, rfq_id: int, data: dict[str, Any], cooperative_id: int | None = None
) -> Quote:
    """A cooperative quotes on an RFQ, or revises its quote (each revision kept). The quote is in
    the RFQ's unit; the rate in force is stored on it. Raises NotFound, PermissionDenied,
    RfqClosed (after the closing date, closed or awarded), QuoteLocked, ValidationFailed,
    IncotermInvalid, DepositPercentInvalid, CurrencyUnsupported."""
    cooperative = _quoting_cooperative(actor=actor, rfq_id=rfq_id, cooperative_id=cooperative_id)
    rfq = _lock_rfq(rfq_id)
    if not rfq.is_open:
        raise RfqClosed(fields={"closes_at": [rfq.closes_at.isoformat()], "status": [rfq.status]})
    values = _quote_values(data, cooperative)
    rate = rate_in_force(currency="USD")
    values.update(
        unit=rfq.unit,
        usd_vnd_rate=rate.rate_vnd,
        rate_date=rate.date,
        rate_source=rate.source,
        submitted_by=actor,
    )
    quote = Quote.objects.select_for_update().filter(rfq=rfq, cooperative=cooperative).first()
    if quote is None:
        quote = Quote.objects.create(rfq=rfq, cooperative=cooperative, **values)
    else:
        if quote.status in (Quote.Status.ACCEPTED, Quote.Status.DECLINED):
            raise QuoteLocked(fields={"status": [quote.status]})
        for name, value in values.items():
            setattr(quote, name, value)
        quote.revision += 1
        quote.status = Quote.Status.SUBMITTED
        quote.save()
    QuoteRevision.objects.create(
        quote=quote, number=quote.revision, terms=_snapshot(quote), submitted_by=actor
    )
    transaction.on_commit(lambda: notifications.quote_received(quote_id=quote.pk))
    return quote


@transaction.atomic
def quote_withdraw(*, actor: User, quote_id: int) -> Quote:
    """The quoting cooperative withdraws its (not accepted) quote. Raises NotFound, QuoteLocked."""
    quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
    if quote is None or not is_cooperative_staff(user=actor, cooperative_id=quote.cooperative_id):
        raise NotFound()
    if quote.status in (Quote.Status.ACCEPTED, Quote.Status.DECLINED):
        raise QuoteLocked(fields={"status": [quote.status]})
    quote.status = Quote.Status.WITHDRAWN
    quote.save(update_fields=["status", "updated_at"])
    return quote


def _accept_checks(rfq: Rfq, quote: Quote, quantity: Decimal) -> None:
    if rfq.status == Rfq.Status.AWARDED:
        raise RfqAwarded()
    if quote.status == Quote.Status.WITHDRAWN:
        raise QuoteNotAcceptable(_("This quote was withdrawn."), code="quote_withdrawn")
    if quote.status != Quote.Status.SUBMITTED:
        raise QuoteNotAcceptable(fields={"status": [quote.status]})
    if quote.is_expired:
        raise QuoteNotAcceptable(
            _("This quote expired on %(d)s; ask the cooperative to revise it.")
            % {"d": quote.valid_until.isoformat()},
            code="quote_expired",
        )
    if quantity < quote.moq:
        raise BelowMoq(fields={"quantity": [str(quantity)], "moq": [str(quote.moq)]})
    if quantity > quote.quantity:
        raise ValidationFailed(
            fields={
                "quantity": [_("The cooperative can supply at most %(q)s.") % {"q": quote.quantity}]
            }
        )


def quote_accept(*, actor: User, quote_id: int, quantity: Decimal | None = None) -> Quote:
    """The buyer accepts a quote: one export order (quoted price, Incoterm, payment schedule,
    the rate stored on the quote), the RFQ awarded, the other quotes declined and their
    cooperatives told. Accepting the accepted quote again returns it (idempotent).
    Raises NotFound, PermissionDenied, RfqAwarded, QuoteNotAcceptable (withdrawn, expired,
    declined), BelowMoq, ValidationFailed."""
    try:
        return _accept(actor=actor, quote_id=quote_id, quantity=quantity)
    except IntegrityError:
        # The partial unique index (one accepted quote per RFQ) caught a race the RFQ lock
        # should already have serialised: answer as the loser would.
        raise RfqAwarded()


@transaction.atomic
def _accept(*, actor: User, quote_id: int, quantity: Decimal | None) -> Quote:
    rfq_id = Quote.objects.filter(pk=quote_id).values_list("rfq_id", flat=True).first()
    if rfq_id is None:
        raise NotFound()
    access = rfq_get_for_actor(user=actor, rfq_id=rfq_id)
    if "buyer" not in access.roles:
        if access.roles == {"coop"}:
            raise NotFound()
        raise PermissionDenied(_("Only the buyer who asked can accept a quote."))
    rfq = _lock_rfq(rfq_id)
    quotes = list(Quote.objects.select_for_update().filter(rfq=rfq).order_by("pk"))
    quote = next(q for q in quotes if q.pk == quote_id)
    if quote.status == Quote.Status.ACCEPTED:
        return quote  # accepted twice: the same quote and order
    if quantity is not None and quantity <= 0:
        raise ValidationFailed(fields={"quantity": [_("Enter a number above zero.")]})
    quantity = quantity or min(rfq.quantity, quote.quantity)
    _accept_checks(rfq, quote, quantity)
    order = export_order_create(spec=_order_spec(rfq, quote, quantity), actor=actor)
    quote.status, quote.accepted_at, quote.order = Quote.Status.ACCEPTED, timezone.now(), order
    quote.save(update_fields=["status", "accepted_at", "order", "updated_at"])
    declined = [q.pk for q in quotes if q.pk != quote.pk and q.status == Quote.Status.SUBMITTED]
    Quote.objects.filter(pk__in=declined).update(
        status=Quote.Status.DECLINED, updated_at=timezone.now()
    )
    rfq.status, rfq.closed_at = Rfq.Status.AWARDED, rfq.closed_at or timezone.now()
    rfq.save(update_fields=["status", "closed_at", "updated_at"])
    transaction.on_commit(
        lambda: notifications.quote_decided(accepted_id=quote.pk, declined_ids=declined)
    )
    return quote


def _order_spec(rfq: Rfq, quote: Quote, quantity: Decimal) -> ExportOrderSpec:
    from orders.services.export import Rate

    profile = getattr(rfq.buyer, "buyer_profile", None)
    return ExportOrderSpec(
        buyer=rfq.buyer,
        cooperative=quote.cooperative,
        product=quote.product,
        quantity=quantity,
        unit=quote.unit,
        unit_price=quote.unit_price,
        currency=quote.currency,
        rate=Rate(quote.usd_vnd_rate, quote.rate_date, quote.rate_source),
        incoterm=quote.incoterm,
        named_place=quote.named_place,
        destination_country=rfq.destination_country,
        deposit_percent=quote.deposit_percent,
        balance_due=quote.balance_due,
        lead_time_days=quote.lead_time_days,
        packaging=quote.packaging or rfq.packaging,
        quote_ref=quote.ref,
        recipient_name=(profile.company_name if profile else "")
        or rfq.buyer.full_name
        or rfq.buyer.email,
        address_line=f"{quote.incoterm} {quote.named_place}",
        note=rfq.specification[:2000],
    )


# --- messages ---


@transaction.atomic
def message_post(
    *,
    actor: User,
    rfq_id: int,
    cooperative_id: int,
    body: str = "",
    file: "File[bytes] | None" = None,
) -> RfqMessage:
    """A message (and optional attachment, through the safe upload rules) in the thread of an RFQ
    and one cooperative. The buyer writes to any cooperative the RFQ is shown to; staff only in
    their own cooperative's thread. Raises NotFound, ValidationFailed."""
    from market.shared.document_files import private_document_store

    access = rfq_get_for_actor(user=actor, rfq_id=rfq_id)
    if not (access.is_buyer_side or int(cooperative_id) in access.cooperative_ids):
        raise NotFound()
    if not Cooperative.objects.filter(pk=cooperative_id).exists():
        raise NotFound()
    body = (body or "").strip()[:5000]
    if not body and file is None:
        raise ValidationFailed(fields={"body": [_("Write a message or attach a file.")]})
    stored = private_document_store(file, prefix=f"rfq/{rfq_id}") if file is not None else None
    message = RfqMessage.objects.create(
        rfq=access.rfq,
        cooperative_id=cooperative_id,
        author=actor,
        body=body,
        attachment=stored["name"] if stored else "",
        attachment_name=stored["original_name"] if stored else "",
        attachment_type=stored["content_type"] if stored else "",
        attachment_size=stored["size"] if stored else 0,
    )
    transaction.on_commit(lambda: notifications.message_posted(message_id=message.pk))
    return message
