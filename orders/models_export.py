"""Export orders (made from an accepted quote): the USD/VND rate table, the trade terms of an
order, its payment schedule (installments), wire receipts and the shipment with its documents.

Imported by `orders.models`, so these are models of the `orders` app. Amounts of an export order
are kept in the currency they were quoted in (`ExportTerms.currency`); the VND figures on `Order`
are that amount at the rate stored on the terms (the rate in force at acceptance).
"""

from decimal import Decimal

from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from market.shared.base import MONEY, TimeStampedModel


def _private_storage():
    return storages["private"]


class ExchangeRate(models.Model):
    """How many đồng one unit of `currency` buys on `date`, and where the figure comes from.
    Admins maintain it (Django admin, or `manage.py rates_load rates.csv`); the rate in force on
    a day is the latest row dated on or before it."""

    currency = models.CharField(max_length=3, default="USD")
    date = models.DateField()
    rate_vnd = models.DecimalField(max_digits=12, decimal_places=2)
    source = models.CharField(max_length=120)  # "Vietcombank transfer sell rate"
    created_by = models.ForeignKey(
        "market.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="rate_once_per_day"),
            models.CheckConstraint(condition=models.Q(rate_vnd__gt=0), name="rate_positive"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate_vnd} VND ({self.date}, {self.source})"


class BalanceDue(models.TextChoices):
    ON_ACCEPTANCE = "ON_ACCEPTANCE", _("on acceptance")
    BEFORE_SHIPMENT = "BEFORE_SHIPMENT", _("before shipment")
    AGAINST_BL_COPY = "AGAINST_BL_COPY", _("against a copy of the bill of lading")
    ON_ARRIVAL = "ON_ARRIVAL", _("on arrival at the port of discharge")


class ExportTerms(TimeStampedModel):
    """The trade terms of an export order and its shipment data (one per order)."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="export")
    quote_ref = models.CharField(
        max_length=40
    )  # "Q-2026-000012 rev 2" (orders never imports quotes)
    currency = models.CharField(max_length=3)
    unit_price = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    usd_vnd_rate = models.DecimalField(max_digits=12, decimal_places=2)
    rate_date = models.DateField()
    rate_source = models.CharField(max_length=120)
    incoterm = models.CharField(max_length=3)
    named_place = models.CharField(max_length=120)
    destination_country = models.CharField(max_length=2)
    deposit_percent = models.DecimalField(max_digits=5, decimal_places=2)
    balance_due = models.CharField(max_length=16, choices=BalanceDue.choices)
    lead_time_days = models.PositiveSmallIntegerField()
    packaging = models.CharField(max_length=255, blank=True)
    # Shipment, filled by the cooperative at shipment.
    port_of_loading = models.CharField(max_length=120, blank=True)
    port_of_discharge = models.CharField(max_length=120, blank=True)
    vessel = models.CharField(max_length=120, blank=True)
    container_number = models.CharField(max_length=20, blank=True)
    seal_number = models.CharField(max_length=30, blank=True)
    package_count = models.PositiveIntegerField(null=True, blank=True)
    package_kind = models.CharField(max_length=60, blank=True)  # "PP bags of 50 kg"
    net_weight_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    gross_weight_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    marks = models.CharField(max_length=255, blank=True)
    shipped_on = models.DateField(null=True, blank=True)
    # The bill of lading / airway bill (private storage, served by an authorised view only).
    transport_document = models.FileField(storage=_private_storage, blank=True)
    transport_document_kind = models.CharField(max_length=4, blank=True)  # "BL" | "AWB"
    transport_document_name = models.CharField(max_length=255, blank=True)
    transport_document_type = models.CharField(max_length=60, blank=True)
    documents_released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.incoterm} {self.named_place} ({self.quote_ref})"

    @property
    def shipment_complete(self) -> bool:
        return bool(
            self.port_of_loading
            and self.port_of_discharge
            and self.container_number
            and self.package_count
            and self.net_weight_kg
            and self.gross_weight_kg
        )


class Installment(TimeStampedModel):
    """One part of an export order's payment schedule (deposit, balance), in the quoted currency.
    Paid by card (one Stripe PaymentIntent per installment, `payment`) or by international wire
    (receipts confirmed by the cooperative or an admin). Paid/partial/overdue are derived."""

    class Kind(models.TextChoices):
        DEPOSIT = "DEPOSIT", _("Deposit")
        BALANCE = "BALANCE", _("Balance")
        FULL = "FULL", _("Payment")  # a cart order paid by wire in one installment

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="installments")
    sequence = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    due = models.CharField(max_length=16, choices=BalanceDue.choices)
    due_date = models.DateField(null=True, blank=True)  # set when its trigger happens
    amount_paid = models.DecimalField(default=Decimal("0"), **MONEY)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment = models.OneToOneField(
        "orders.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="installment",
    )

    class Meta:
        ordering = ["order_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="installment_sequence"),
            models.CheckConstraint(
                condition=models.Q(amount_paid__lte=models.F("amount")),
                name="installment_paid_within_amount",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="installment_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def amount_due(self) -> Decimal:
        return self.amount - self.amount_paid

    @property
    def is_paid(self) -> bool:
        return self.amount_paid >= self.amount

    @property
    def state(self) -> str:
        """PAID, PARTIAL, OVERDUE, DUE (its trigger happened) or SCHEDULED."""
        if self.is_paid:
            return "PAID"
        if self.due_date and self.due_date < timezone.localdate():
            return "OVERDUE"
        if self.amount_paid > 0:
            return "PARTIAL"
        return "DUE" if self.due_date else "SCHEDULED"

    STATE_LABELS = {
        "PAID": _("Paid"),
        "OVERDUE": _("Overdue"),
        "PARTIAL": _("Partly paid"),
        "DUE": _("Due"),
        "SCHEDULED": _("Not due yet"),
    }

    @property
    def state_label(self) -> str:
        return str(self.STATE_LABELS[self.state])

    @property
    def wire_reference(self) -> str:
        """What the buyer writes on the wire: the order code and the installment number."""
        return f"{self.order.code}-{self.sequence}"


class InstallmentReceipt(models.Model):
    """Money received for an installment: a wire confirmed with its bank reference, or a card
    charge (Stripe PaymentIntent id)."""

    class Method(models.TextChoices):
        WIRE = "wire", _("International wire")
        CARD = "stripe", _("Card (Stripe)")

    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="receipts")
    method = models.CharField(max_length=8, choices=Method.choices)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(max_length=120)
    confirmed_by = models.ForeignKey(
        "market.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["method", "reference"], name="installment_receipt_reference_once"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receipt_positive"),
        ]

    def __str__(self):
        return f"{self.amount} {self.installment.currency} ({self.method} {self.reference})"
