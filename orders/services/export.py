"""Export orders made from an accepted quote: rates, the order and its payment schedule, wire and
card receipts per installment, the shipment and its transport document.

Lock order (as everywhere that touches payments): the card Payment, then the Order, then its
installments. An export order is created inside the caller's transaction (quotes.quote_accept).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from market.models import Cooperative, User
from orders import locks, stripe_adapter
from orders.errors import (
    ActionForbidden,
    DocumentsWithheld,
    InstallmentNotPayable,
    NotFound,
    RatesInvalid,
    ShipmentInvalid,
    UnknownPayment,
    ValidationFailed,
    WireAmountInvalid,
)
from orders.models import (
    BalanceDue,
    Checkout,
    Currency,
    ExchangeRate,
    ExportTerms,
    Installment,
    InstallmentReceipt,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentMethod,
)
from orders.money import commission_percent, commission_vnd, money_round, to_vnd
from orders.services import payment_status, stripe_payments
from orders.services.access import actor_roles, lock_order_for
from orders.services.refunds import refund_installment_card_at_stripe, refund_owed
from orders.services.transitions import order_transition

# --- rates ---


@dataclass(frozen=True)
class Rate:
    rate_vnd: Decimal
    date: date
    source: str


def rate_in_force(*, currency: str = "USD", on: date | None = None) -> Rate:
    """The latest rate dated on or before `on` (today); without any row, the `USD_VND_RATE`
    setting, named as such."""
    on = on or timezone.localdate()
    row = ExchangeRate.objects.filter(currency=currency, date__lte=on).order_by("-date").first()
    if row is not None:
        return Rate(row.rate_vnd, row.date, row.source)
    return Rate(Decimal(settings.USD_VND_RATE), on, "USD_VND_RATE setting")


def _rate_row(number: int, row: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    errors = []
    try:
        day = date.fromisoformat((row.get("date") or "").strip())
    except ValueError:
        day = None
        errors.append(_("line %(n)s: date must be YYYY-MM-DD") % {"n": number})
    currency = (row.get("currency") or "USD").strip().upper()
    if currency not in Currency.values or currency == Currency.VND:
        errors.append(_("line %(n)s: currency must be USD") % {"n": number})
    try:
        rate = Decimal((row.get("rate_vnd") or "").replace(",", "").strip())
        if not (Decimal("1000") <= rate <= Decimal("1000000")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        rate = None
        errors.append(
            _("line %(n)s: rate_vnd must be a number of đồng, e.g. 25450") % {"n": number}
        )
    source = (row.get("source") or "").strip()[:120]
    if not source:
        errors.append(_("line %(n)s: source is required") % {"n": number})
    if errors:
        return None, errors
    return {"currency": currency, "date": day, "rate_vnd": rate, "source": source}, []


@transaction.atomic
def rates_load(*, rows: Iterable[dict[str, Any]], actor: User | None = None) -> tuple[int, int]:
    """Load rate rows (date, currency, rate_vnd, source): all or nothing. A day already there is
    updated. Returns (created, updated). Raises RatesInvalid with every bad line."""
    parsed, errors = [], []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        values, row_errors = _rate_row(number, row)
        errors += row_errors
        if values:
            parsed.append(values)
    if errors or not parsed:
        raise RatesInvalid(fields={"rows": errors or [_("The file has no rates.")]})
    created = updated = 0
    for values in parsed:
        _row, made = ExchangeRate.objects.update_or_create(
            currency=values["currency"],
            date=values["date"],
            defaults={
                "rate_vnd": values["rate_vnd"],
                "source": values["source"],
                "created_by": actor,
            },
        )
        created, updated = created + made, updated + (not made)
    return created, updated


# --- creating an export order from a quote ---


@dataclass
class ExportOrderSpec:
    buyer: User
    cooperative: Cooperative
    product: Product
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    rate: Rate
    incoterm: str
    named_place: str
    destination_country: str
    deposit_percent: Decimal
    balance_due: str
    lead_time_days: int
    packaging: str
    quote_ref: str
    recipient_name: str
    address_line: str
    note: str = ""


def _payment_days() -> int:
    return int(getattr(settings, "EXPORT_PAYMENT_DAYS", 7))


def _schedule(spec: ExportOrderSpec, total: Decimal, today: date) -> list[Installment]:
    deposit = money_round(total * spec.deposit_percent / 100, spec.currency)
    due_now = today + timedelta(days=_payment_days())
    parts: list[tuple[str, Decimal, Decimal, str]] = []
    if deposit > 0:
        parts.append(
            (Installment.Kind.DEPOSIT, spec.deposit_percent, deposit, BalanceDue.ON_ACCEPTANCE)
        )
    if total - deposit > 0:
        parts.append(
            (
                Installment.Kind.BALANCE,
                100 - spec.deposit_percent,
                total - deposit,
                spec.balance_due,
            )
        )
    return [
        Installment(
            sequence=n,
            kind=kind,
            percent=pct,
            amount=amount,
            currency=spec.currency,
            due=due,
            due_date=due_now if due == BalanceDue.ON_ACCEPTANCE else None,
        )
        for n, (kind, pct, amount, due) in enumerate(parts, start=1)
    ]


def export_order_create(*, spec: ExportOrderSpec, actor: User) -> Order:
    """Write the Checkout, Order (one line, no shipping fee: the Incoterm prices delivery), the
    ExportTerms and the installments of an accepted quote. Runs inside the caller's transaction;
    no stock is taken (export lots are produced to order)."""
    now = timezone.now()
    total = money_round(spec.unit_price * spec.quantity, spec.currency)
    subtotal_vnd = to_vnd(total, spec.currency, spec.rate.rate_vnd)
    checkout = Checkout.objects.create(
        buyer=spec.buyer,
        currency=spec.currency,
        usd_vnd_rate=int(spec.rate.rate_vnd),
        subtotal_vnd=subtotal_vnd,
        shipping_vnd=0,
        total_vnd=subtotal_vnd,
        total_usd=total if spec.currency == Currency.USD else None,
        payment_method=PaymentMethod.INSTALLMENTS,
        recipient_name=spec.recipient_name[:150],
        recipient_phone=spec.buyer.phone[:20],
        country=spec.destination_country,
        address_line=spec.address_line[:255],
        incoterm=spec.incoterm,
    )
    pct = commission_percent()
    order = Order.objects.create(
        checkout=checkout,
        cooperative=spec.cooperative,
        buyer=spec.buyer,
        subtotal_vnd=subtotal_vnd,
        shipping_fee_vnd=0,
        commission_percent=pct,
        commission_vnd=commission_vnd(subtotal_vnd, pct),
        total_vnd=subtotal_vnd,
        note=spec.note,
        payment_method=PaymentMethod.INSTALLMENTS,
        placed_at=now,
        reserved_until=None,  # never expired as unpaid: the schedule has its own due dates
    )
    order.code = f"HTX-{now.year}-{order.pk:06d}"
    order.save(update_fields=["code"])
    OrderLine.objects.create(
        order=order,
        product=spec.product,
        product_name=spec.product.name_en or spec.product.name_vi,
        sku=spec.product.sku,
        unit=spec.unit,
        unit_price_vnd=to_vnd(spec.unit_price, spec.currency, spec.rate.rate_vnd),
        quantity=spec.quantity,
        line_total_vnd=subtotal_vnd,
        stock_released=True,  # nothing was taken from stock, so nothing is ever given back
    )
    ExportTerms.objects.create(
        order=order,
        quote_ref=spec.quote_ref,
        currency=spec.currency,
        unit_price=spec.unit_price,
        total=total,
        usd_vnd_rate=spec.rate.rate_vnd,
        rate_date=spec.rate.date,
        rate_source=spec.rate.source,
        incoterm=spec.incoterm,
        named_place=spec.named_place,
        destination_country=spec.destination_country,
        deposit_percent=spec.deposit_percent,
        balance_due=spec.balance_due,
        lead_time_days=spec.lead_time_days,
        packaging=spec.packaging,
    )
    installments = _schedule(spec, total, timezone.localdate())
    for inst in installments:
        inst.order = order
    Installment.objects.bulk_create(installments)
    OrderEvent.objects.create(
        order=order, actor=actor, from_status="", to_status=Order.Status.PLACED, note=spec.quote_ref
    )
    return order


def export_schedule_for_checkout(*, checkout: Checkout, orders: list[Order]) -> None:
    """Inside checkout_place: a cart checkout paid by international wire (a buyer abroad). Each
    order gets export terms (the checkout's Incoterm and destination) and one installment of its
    whole total in USD at the rate in force, payable by wire (or by card when Stripe is on);
    the stock stays reserved for EXPORT_PAYMENT_DAYS."""
    from orders.money import usd

    rate = rate_in_force(currency="USD")
    days = _payment_days()
    today = timezone.localdate()
    for order in orders:
        total = usd(order.total_vnd, rate.rate_vnd)
        ExportTerms.objects.create(
            order=order,
            quote_ref=f"checkout {checkout.pk}",
            currency=Currency.USD,
            unit_price=total,
            total=total,
            usd_vnd_rate=rate.rate_vnd,
            rate_date=rate.date,
            rate_source=rate.source,
            incoterm=checkout.incoterm,
            named_place=checkout.city or checkout.address_line[:120],
            destination_country=checkout.country,
            deposit_percent=Decimal("100"),
            balance_due=BalanceDue.ON_ACCEPTANCE,
            lead_time_days=max((ln.product.lead_time_days for ln in order.lines.all()), default=0),
        )
        Installment.objects.create(
            order=order,
            sequence=1,
            kind=Installment.Kind.FULL,
            percent=Decimal("100"),
            amount=total,
            currency=Currency.USD,
            due=BalanceDue.ON_ACCEPTANCE,
            due_date=today + timedelta(days=days),
        )
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        reserved_until=timezone.now() + timedelta(days=days)
    )


# --- receipts ---


def _lock_installment(
    *, actor: User | None, installment_id: int, allowed: set[str]
) -> tuple[Order, Installment]:
    order_id = (
        Installment.objects.filter(pk=installment_id).values_list("order_id", flat=True).first()
    )
    if order_id is None:
        raise NotFound()
    # The lock order of orders.locks: the order's payments (its installments' card payments),
    # then the order, then the installment.
    order = lock_order_for(actor=actor, order_id=order_id, allowed=allowed)
    installment = Installment.objects.select_for_update(of=("self",)).get(pk=installment_id)
    return order, installment


def _apply_receipt(
    *,
    order: Order,
    installment: Installment,
    amount: Decimal,
    method: str,
    reference: str,
    actor: User | None,
) -> None:
    """Record money received for a locked installment and move the order on: the deposit paid
    puts it in production (CONFIRMED); everything paid releases the documents (PAID). A wire
    also adds to the order's bank-transfer Payment (what a refund of wired money goes back by)."""
    InstallmentReceipt.objects.create(
        installment=installment,
        method=method,
        amount=amount,
        reference=reference,
        confirmed_by=actor,
    )
    installment.amount_paid += amount
    if installment.is_paid:
        installment.paid_at = timezone.now()
    installment.save(update_fields=["amount_paid", "paid_at", "updated_at"])
    if method == InstallmentReceipt.Method.WIRE:  # card money has its Payment per installment
        payment_status.installment_wire_received(
            order=order, amount=amount, currency=installment.currency
        )
        if installment.is_paid:  # nothing left for its card payment to take
            _card_payment_replace(installment)
    schedule = list(Installment.objects.filter(order=order).order_by("sequence"))
    terms = order.export
    paid = all(i.is_paid for i in schedule)
    payment_status.order_installment_received(
        order=order,
        received_vnd=to_vnd(
            sum((i.amount_paid for i in schedule), Decimal(0)), terms.currency, terms.usd_vnd_rate
        ),
        schedule_paid=paid,
        by_card=method == InstallmentReceipt.Method.CARD,
        actor=actor,
        note=f"{installment.get_kind_display()} {installment.sequence}: {amount} "
        f"{installment.currency} ({method} {reference})",
    )
    if paid and terms.documents_released_at is None and order.status not in Order.STOCK_RELEASING:
        terms.documents_released_at = timezone.now()
        terms.save(update_fields=["documents_released_at", "updated_at"])
        OrderEvent.objects.create(
            order=order,
            actor=actor,
            kind=OrderEvent.Kind.NOTE,
            note=_("Paid in full: the shipping documents are released to the buyer."),
        )
    if order.status == Order.Status.PLACED and schedule[0].is_paid:
        order_transition(
            actor=None,
            order_id=order.pk,
            to=Order.Status.CONFIRMED,
            note=_("Deposit received: in production."),
        )


@transaction.atomic
def installment_wire_confirm(
    *, actor: User, installment_id: int, amount: Decimal, bank_reference: str
) -> Installment:
    """The cooperative or an admin confirms a wire received for an installment (part payments
    allowed). Raises NotFound, ActionForbidden, ValidationFailed (amount, reference),
    WireAmountInvalid (more than is due), InstallmentNotPayable (order ended, already paid)."""
    order, installment = _lock_installment(
        actor=actor, installment_id=installment_id, allowed={"coop", "admin"}
    )
    reference = (bank_reference or "").strip()
    if not reference:
        raise ValidationFailed(fields={"bank_reference": [_("The bank reference is required.")]})
    amount = money_round(Decimal(amount), installment.currency)
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("The amount must be more than zero.")]})
    if order.status in Order.STOCK_RELEASING or installment.is_paid:
        raise InstallmentNotPayable(fields={"status": order.status})
    if amount > installment.amount_due:
        raise WireAmountInvalid(
            fields={"amount": [str(amount)], "amount_due": [str(installment.amount_due)]}
        )
    if InstallmentReceipt.objects.filter(method="wire", reference=reference).exists():
        raise ValidationFailed(
            fields={"bank_reference": [_("This bank reference was already confirmed.")]},
            code="duplicate_reference",
        )
    _apply_receipt(
        order=order,
        installment=installment,
        amount=amount,
        method=InstallmentReceipt.Method.WIRE,
        reference=reference,
        actor=actor,
    )
    return installment


# --- card (Stripe), one PaymentIntent per installment ---


def _card_payment_replace(installment: Installment) -> None:
    """Cancel the installment's pending card payment (a wire paid the installment, or part of
    it, since it was opened), and its PaymentIntent at Stripe after commit: the buyer may still
    hold its page. A charge that arrives anyway is counted for its installment, and what the
    installment no longer owed goes back to the card (`on_installment_intent_succeeded`)."""
    payment = installment.payment
    if payment is None or payment.status != Payment.Status.PENDING:
        return
    payment_status.card_payment_cancel(payment=payment)
    transaction.on_commit(
        partial(stripe_payments.payment_intent_cancel_safe, payment_id=payment.pk)
    )


@transaction.atomic
def _installment_card_payment(*, actor: User, installment_id: int) -> Payment:
    order, installment = _lock_installment(
        actor=actor, installment_id=installment_id, allowed={"buyer"}
    )
    if order.status in Order.STOCK_RELEASING or installment.is_paid:
        raise InstallmentNotPayable(fields={"status": order.status})
    payment = installment.payment
    if payment is not None and payment.status == Payment.Status.PENDING:
        if payment.amount == installment.amount_due:
            return payment
        _card_payment_replace(installment)  # a wire paid part of it since
    payment = Payment.objects.create(
        checkout_id=order.checkout_id,
        order=order,
        provider=PaymentMethod.STRIPE,
        amount=installment.amount_due,
        currency=installment.currency,
    )
    installment.payment = payment
    installment.save(update_fields=["payment", "updated_at"])
    return payment


def installment_card_start(*, actor: User, installment_id: int) -> Payment:
    """The buyer pays an installment by card: one Payment and one PaymentIntent for what is due,
    created with the key `installment:{id}:payment:{payment id}` (a retry finds the same intent).
    The network call is made outside the transaction. Raises InstallmentNotPayable,
    PaymentProviderError (no Stripe keys, or Stripe failed)."""
    from orders.errors import PaymentProviderError

    order = Order.objects.filter(installments__pk=installment_id).first()
    roles = actor_roles(actor=actor, order=order) if order is not None else set()
    if not roles:
        raise NotFound()
    if "buyer" not in roles:
        raise ActionForbidden()
    if not stripe_adapter.configured():
        raise PaymentProviderError(fields={"provider": "stripe", "detail": "card payment is off"})
    payment = _installment_card_payment(actor=actor, installment_id=installment_id)
    if payment.provider_id:
        return payment
    assert payment.order is not None  # an installment's payment belongs to its order
    try:
        intent = stripe_adapter.intent_create(
            params={
                "amount": payment.stripe_amount,
                "currency": payment.currency.lower(),
                "automatic_payment_methods": {"enabled": True},
                "metadata": {
                    "installment_id": str(installment_id),
                    "payment_id": str(payment.pk),
                    "orders": payment.order.code,
                },
                "description": f"HTX Market {payment.order.code} installment {installment_id}",
            },
            key=f"installment:{installment_id}:payment:{payment.pk}",
        )
    except stripe_adapter.StripeError as exc:
        payment_status.card_payment_error(payment_id=payment.pk, error=str(exc))
        raise PaymentProviderError(fields={"provider": "stripe"}) from exc
    Payment.objects.filter(pk=payment.pk, provider_id="").update(
        provider_id=intent.id, client_secret=intent.client_secret or ""
    )
    payment.refresh_from_db()
    return payment


def _excess_give_back(*, order: Order, payment: Payment, excess: Decimal) -> None:
    """A card charge for more than its installment still owed (a wire paid it, in part or in
    full, since the buyer opened the card payment): the excess was never the order's money, so
    it goes back to the card through Stripe after commit; the timeline says so. Nothing is
    posted to the ledger: nothing of it was counted. The payment keeps the excess, so a replayed
    charge event finds the charge counted (`_charge_counted`)."""
    payment.excess = excess
    payment.save(update_fields=["excess", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        actor=None,
        kind=OrderEvent.Kind.NOTE,
        note=_(
            "A card payment was %(excess)s %(currency)s more than its installment still owed "
            "(paid meanwhile by wire): the excess goes back to the card."
        )
        % {"excess": excess, "currency": payment.currency},
    )
    transaction.on_commit(
        partial(stripe_payments.payment_excess_refund_safe, payment_id=payment.pk, amount=excess)
    )


def _installment_charged(*, order: Order, payment: Payment, obj: dict[str, Any]) -> Installment:
    """The installment a card charge pays, locked: the one whose payment it is, or, for a
    payment replaced since (a wire paid part of the installment, and the buyer started the card
    payment again), the installment our intent's metadata names, of the same order."""
    mine = Installment.objects.select_for_update(of=("self",))
    installment = mine.filter(payment=payment).first()
    if installment is not None:
        return installment
    named = str((obj.get("metadata") or {}).get("installment_id") or "")
    installment = mine.filter(pk=int(named) if named.isdigit() else 0, order=order).first()
    if installment is None:
        raise UnknownPayment(fields={"payment_intent": obj.get("id")})
    return installment


def _charge_refunded_before_counted(
    *, order: Order, installment: Installment, obj: dict[str, Any]
) -> str:
    """Stripe reported the whole charge refunded before it reported the charge (events come in
    any order; a refund from its dashboard at once): the buyer has that money back, so it never
    pays the installment. Nothing is counted or posted (Stripe's balance is back where it was);
    the installment stays owed and the timeline says so."""
    OrderEvent.objects.create(
        order=order,
        actor=None,
        kind=OrderEvent.Kind.NOTE,
        note=_(
            "A card payment for %(what)s was refunded at Stripe before it was counted: "
            "the installment is still owed."
        )
        % {"what": f"{installment.get_kind_display()} {installment.sequence} ({obj.get('id')})"},
    )
    return "refunded_before_counted"


def _charge_counted(payment: Payment, obj: dict[str, Any]) -> bool:
    """A refunded (in part or whole) installment charge already counted: its receipt exists, or
    all of it was more than its installment still owed (its excess kept on the payment, no
    receipt)."""
    return payment.status in (Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED) and (
        payment.excess > 0
        or InstallmentReceipt.objects.filter(
            method=InstallmentReceipt.Method.CARD, reference=obj.get("id") or "-"
        ).exists()
    )


def on_installment_intent_succeeded(obj: dict[str, Any]) -> str:
    """Webhook (inside its transaction): a card charge for an installment. Locks payment, order,
    installment (orders.locks); stored once as a receipt keyed by the PaymentIntent id. A replay
    changes nothing."""
    payment_id = str((obj.get("metadata") or {}).get("payment_id") or "")
    payment = locks.lock_payment_by(
        pk=int(payment_id) if payment_id.isdigit() else 0, provider=PaymentMethod.STRIPE
    )
    if payment is None or (payment.provider_id and payment.provider_id != obj.get("id")):
        raise UnknownPayment(fields={"payment_intent": obj.get("id")})
    if payment.status == Payment.Status.SUCCEEDED or _charge_counted(payment, obj):
        return "duplicate"
    if (obj.get("currency") or "").upper() != payment.currency or obj.get(
        "amount"
    ) != payment.stripe_amount:
        payment_status.card_payment_error(
            payment_id=payment.pk,
            error=f"amount/currency mismatch: {obj.get('amount')} {obj.get('currency')}",
        )
        return "amount_mismatch"
    assert payment.order_id is not None  # an installment's payment belongs to its order
    order = locks.lock_order(payment.order_id)
    installment = _installment_charged(order=order, payment=payment, obj=obj)
    if payment.status == Payment.Status.REFUNDED:
        return _charge_refunded_before_counted(order=order, installment=installment, obj=obj)
    payment.provider_id = payment.provider_id or obj.get("id") or ""
    payment_status.installment_payment_succeeded(payment=payment)
    amount = max(min(payment.amount, installment.amount_due), Decimal(0))
    if payment.amount > amount:
        _excess_give_back(order=order, payment=payment, excess=payment.amount - amount)
    if amount <= 0:
        return "overpaid"
    received_before = order.amount_paid_vnd
    _apply_receipt(
        order=order,
        installment=installment,
        amount=amount,
        method=InstallmentReceipt.Method.CARD,
        reference=obj.get("id") or f"payment:{payment.pk}",
        actor=None,
    )
    if payment.amount_refunded > 0:
        # Stripe reported part of this charge refunded before the charge itself (events come in
        # any order): now that it is counted, that part is refunded (and owed again)
        refund_installment_card_at_stripe(
            order=order, payment=payment, note=f"stripe:{obj.get('id')}"
        )
    if order.status in Order.STOCK_RELEASING:
        # charged after the order was cancelled (its intent's cancel had not reached Stripe):
        # received, then given back through Stripe, as for a checkout's late card charge
        refund_owed(
            order=order,
            amount_vnd=order.amount_paid_vnd - received_before,
            actor=None,
            reason=_("Card payment received after the order was cancelled."),
        )
        return "refunded_after_cancel"
    return "installment_paid"


# --- shipment and transport document ---

SHIPMENT_FIELDS = {
    "port_of_loading": 120,
    "port_of_discharge": 120,
    "vessel": 120,
    "container_number": 20,
    "seal_number": 30,
    "package_kind": 60,
    "marks": 255,
}


def _shipment_values(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):  # a JSON array or a bare value: nothing to read fields from
        raise ShipmentInvalid(_("Send the shipment as one object of fields."))
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, size in SHIPMENT_FIELDS.items():
        text = str(data.get(name) or "").strip()
        if name != "vessel" and not text:
            errors[name] = [_("This field is required.")]
        values[name] = text[:size]
    for name in ("net_weight_kg", "gross_weight_kg", "package_count"):
        try:
            number = Decimal(str(data.get(name) or "").strip())
            if number <= 0:
                raise InvalidOperation
            values[name] = int(number) if name == "package_count" else number
        except (InvalidOperation, ValueError):
            errors[name] = [_("Enter a number above zero.")]
    if not errors and values["gross_weight_kg"] < values["net_weight_kg"]:
        errors["gross_weight_kg"] = [_("The gross weight cannot be below the net weight.")]
    if errors:
        raise ShipmentInvalid(fields=errors)
    return values


@transaction.atomic
def export_shipment_record(*, actor: User, order_id: int, data: object) -> ExportTerms:
    """The cooperative records the shipment (ports, container, seal, packages, weights, marks)
    and, when the order is packed, ships it (carrier = vessel, tracking = container number).
    Raises NotFound, ActionForbidden, ShipmentInvalid, TransitionNotAllowed."""
    order = lock_order_for(actor=actor, order_id=order_id, allowed={"coop", "admin"})
    terms = ExportTerms.objects.select_for_update(of=("self",)).filter(order=order).first()
    if terms is None:
        raise NotFound()
    if order.status not in (Order.Status.CONFIRMED, Order.Status.PACKED):
        raise ShipmentInvalid(
            _("The shipment is recorded once the order is in production or packed."),
            fields={"status": [order.status]},
        )
    for name, value in _shipment_values(data).items():
        setattr(terms, name, value)
    terms.shipped_on = timezone.localdate()
    terms.save()
    if order.status == Order.Status.PACKED:
        order_transition(
            actor=actor,
            order_id=order.pk,
            to=Order.Status.SHIPPED,
            carrier=terms.vessel or terms.port_of_loading,
            tracking_number=terms.container_number,
        )
    return terms


@transaction.atomic
def export_transport_document_upload(
    *, actor: User, order_id: int, kind: str, file: "File[bytes] | None"
) -> ExportTerms:
    """The bill of lading (BL) or airway bill (AWB) of a shipped export order, through the safe
    upload rules; the buyer can then download it. A balance due against the B/L copy becomes due.
    Raises NotFound, ActionForbidden, ValidationFailed."""
    from market.shared.document_files import private_document_store

    order = lock_order_for(actor=actor, order_id=order_id, allowed={"coop", "admin"})
    terms = ExportTerms.objects.select_for_update(of=("self",)).filter(order=order).first()
    if terms is None:
        raise NotFound()
    if kind not in ("BL", "AWB"):
        raise ValidationFailed(
            fields={"kind": [_("Choose BL or AWB.")]}, code="invalid_document_kind"
        )
    if order.status not in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        raise ShipmentInvalid(
            _("Upload the bill of lading once the goods are shipped."),
            fields={"status": [order.status]},
        )
    stored = private_document_store(file, prefix=f"export-docs/{order.pk}")
    old = terms.transport_document.name
    terms.transport_document = stored["name"]
    terms.transport_document_kind = kind
    terms.transport_document_name = stored["original_name"]
    terms.transport_document_type = stored["content_type"]
    terms.save()
    if old:
        transaction.on_commit(lambda: storages["private"].delete(old))
    due = timezone.localdate() + timedelta(days=_payment_days())
    Installment.objects.filter(
        order=order, due=BalanceDue.AGAINST_BL_COPY, due_date__isnull=True
    ).update(due_date=due)
    OrderEvent.objects.create(
        order=order, actor=actor, kind=OrderEvent.Kind.NOTE, note=f"{kind} uploaded"
    )
    return terms


def export_roles(*, actor: User, order: Order) -> set[str]:
    """buyer / coop / admin roles of `actor` on an export order (empty: not visible)."""
    if not hasattr(order, "export"):
        return set()
    return actor_roles(actor=actor, order=order) - {"system"}


# What the release (`ExportTerms.documents_released_at`, set when the schedule is paid, cleared
# when money counted for it is refunded at Stripe while it runs) is about: the document of title
# (bill of lading, airway bill) and the documents the buyer clears the goods with. The proforma
# invoice is not among them: the buyer needs it to pay. The order's Vietnamese invoice and
# packing slip (orders.printouts) say the same as the commercial invoice and packing list.
WITHHELD_DOCUMENTS = frozenset(
    {"transport-document", "commercial-invoice", "packing-list", "invoice", "packing-slip"}
)


def export_document_check(*, actor: User, order: Order, document: str) -> None:
    """May `actor` have `document` of `order` now? Its cooperative's staff and admins always;
    its buyer a withheld document (`WITHHELD_DOCUMENTS`) only once the documents are released.
    An order that is not an export order is not concerned. `order` was fetched for `actor`
    (`order_get_for_actor`). Raises DocumentsWithheld (with what is still owed); reads only."""
    terms = getattr(order, "export", None)
    if terms is None or document not in WITHHELD_DOCUMENTS or terms.documents_released_at:
        return
    if export_roles(actor=actor, order=order) & {"coop", "admin"}:
        return
    owed = sum((i.amount_due for i in Installment.objects.filter(order=order)), Decimal(0))
    raise DocumentsWithheld(
        _(
            "The bill of lading, commercial invoice and packing list are released once the "
            "payment schedule is paid in full: %(owed)s %(currency)s is still owed."
        )
        % {"owed": owed, "currency": terms.currency},
        fields={"document": document, "amount_due": str(owed), "currency": terms.currency},
    )


stripe_payments.INTENT_SUCCEEDED_BY_METADATA["installment_id"] = on_installment_intent_succeeded
