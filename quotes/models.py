"""Requests for quotation (RFQ), quotes with their revisions, and the message thread of each
RFQ/cooperative pair. Accepting a quote makes an export order through `orders.services.export`.

Prices are kept in the currency they were quoted in; each quote stores the USD/VND rate in force
when it was (re)submitted, so the buyer's comparison and the order use a known rate.
"""

from decimal import Decimal

from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Certification, Incoterm, Product, ProductFamily
from catalog.units import Unit
from market.models import Cooperative, User
from market.shared.base import MONEY, QTY, TimeStampedModel
from orders.models import BalanceDue

CURRENCIES = (("USD", "USD"), ("VND", "VND"))


def _private_storage():
    return storages["private"]


class Rfq(TimeStampedModel):
    """A company buyer's request for quotation: to one cooperative, or open to every verified
    cooperative whose categories and certifications match."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        CLOSED = "CLOSED", _("Closed")
        AWARDED = "AWARDED", _("Awarded")

    buyer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="rfqs")
    code = models.CharField(max_length=20, unique=True, null=True)  # RFQ-2026-000012
    cooperative = models.ForeignKey(  # set: addressed to this cooperative only
        Cooperative, on_delete=models.PROTECT, null=True, blank=True, related_name="rfqs"
    )
    # What is asked for: a product (the family: "ST25 rice of this cooperative", whatever the
    # pack), or only a category. The buyer states quantity, unit and packaging in the RFQ itself,
    # so the pack of one variant does not bind it; `product` keeps the variant when the buyer
    # asked from a chosen variant (optional, always one of `family`'s).
    family = models.ForeignKey(
        ProductFamily, on_delete=models.PROTECT, null=True, blank=True, related_name="rfqs"
    )
    product = models.ForeignKey(  # the variant
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="rfqs"
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="rfqs"
    )
    title = models.CharField(max_length=200)
    specification = models.TextField(blank=True)
    quantity = models.DecimalField(**QTY)
    unit = models.CharField(max_length=8, choices=Unit.choices)
    target_price = models.DecimalField(null=True, blank=True, **MONEY)
    target_currency = models.CharField(max_length=3, choices=CURRENCIES, blank=True)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices)
    named_place = models.CharField(max_length=120)
    destination_country = models.CharField(max_length=2)
    delivery_from = models.DateField()
    delivery_to = models.DateField()
    certifications = models.JSONField(default=list, blank=True)  # Certification.Kind values
    packaging = models.CharField(max_length=255, blank=True)
    sample_wanted = models.BooleanField(default=False)
    closes_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "closes_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="rfq_qty_positive"),
            models.CheckConstraint(
                condition=models.Q(delivery_to__gte=models.F("delivery_from")),
                name="rfq_delivery_window",
            ),
            models.CheckConstraint(
                condition=models.Q(family__isnull=False) | models.Q(category__isnull=False),
                name="rfq_family_or_category",
            ),
            models.CheckConstraint(  # a variant never without its family
                condition=models.Q(product__isnull=True) | models.Q(family__isnull=False),
                name="rfq_variant_has_family",
            ),
        ]

    def __str__(self):
        return self.code or f"RFQ #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN and self.closes_at > timezone.now()

    @property
    def is_direct(self) -> bool:
        return self.cooperative_id is not None

    def certification_labels(self) -> list[str]:
        return [str(Certification.Kind(k).label) for k in self.certifications]


class Quote(TimeStampedModel):
    """One cooperative's answer to an RFQ, with its current terms (`revision` counts the
    submissions; each is kept as a QuoteRevision)."""

    class Status(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("Submitted")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        ACCEPTED = "ACCEPTED", _("Accepted")
        DECLINED = "DECLINED", _("Declined")

    rfq = models.ForeignKey(Rfq, on_delete=models.CASCADE, related_name="quotes")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="quotes")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="quotes")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    revision = models.PositiveSmallIntegerField(default=1)
    unit_price = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    unit = models.CharField(max_length=8, choices=Unit.choices)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices)
    named_place = models.CharField(max_length=120)
    quantity = models.DecimalField(**QTY)  # what the cooperative can supply
    moq = models.DecimalField(**QTY)
    lead_time_days = models.PositiveSmallIntegerField()
    valid_until = models.DateField()
    deposit_percent = models.DecimalField(max_digits=5, decimal_places=2)
    balance_due = models.CharField(max_length=16, choices=BalanceDue.choices)
    packaging = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)
    # The USD/VND rate in force at the last (re)submission.
    usd_vnd_rate = models.DecimalField(max_digits=12, decimal_places=2)
    rate_date = models.DateField()
    rate_source = models.CharField(max_length=120)
    submitted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="quote"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["rfq", "cooperative"], name="quote_one_per_coop"),
            # The backstop of the acceptance race: at most one accepted quote per RFQ.
            models.UniqueConstraint(
                fields=["rfq"], condition=models.Q(status="ACCEPTED"), name="quote_one_accepted"
            ),
            models.CheckConstraint(condition=models.Q(unit_price__gt=0), name="quote_price_pos"),
            models.CheckConstraint(
                condition=models.Q(deposit_percent__gte=0, deposit_percent__lte=100),
                name="quote_deposit_percent_range",
            ),
            models.CheckConstraint(condition=models.Q(moq__gt=0), name="quote_moq_positive"),
        ]

    def __str__(self):
        return f"Q-{self.pk} rev {self.revision}"

    @property
    def ref(self) -> str:
        return f"{self.rfq.code}/Q{self.pk} rev {self.revision}"

    @property
    def is_expired(self) -> bool:
        return self.valid_until < timezone.localdate()

    def total(self, quantity: Decimal) -> Decimal:
        return self.unit_price * quantity


class QuoteRevision(models.Model):
    """A submitted version of a quote, kept as it was."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    terms = models.JSONField()
    submitted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["quote_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="quote_revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.quote_id} r{self.number}"


class RfqMessage(models.Model):
    """A message in the thread of one RFQ and one cooperative, with an optional attachment
    (PDF/JPEG/PNG, checked by content, private storage)."""

    rfq = models.ForeignKey(Rfq, on_delete=models.CASCADE, related_name="messages")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(blank=True)
    attachment = models.FileField(storage=_private_storage, blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_type = models.CharField(max_length=60, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["rfq", "cooperative"])]

    def __str__(self) -> str:
        return f"{self.rfq_id}/{self.cooperative_id} {self.created_at:%Y-%m-%d %H:%M}"
