"""Orders: carts, checkouts split into one order per cooperative, order events, payments,
refunds, webhook events and idempotency keys.

Money is in VND integers (VND has no minor unit). A checkout paid in USD keeps the rate used.
"""

from decimal import Decimal
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import Incoterm, Product
from market.models import Cooperative, Province, User, Ward
from market.shared.base import QTY, TimeStampedModel
from orders import money
from orders.money import commission_percent, commission_vnd  # noqa: F401  (kept importable)


class PaymentMethod(models.TextChoices):
    STRIPE = "stripe", _("Card (Stripe)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer (VietQR)")
    COD = "cod", _("Cash on delivery")
    # Export orders made from an accepted quote: a schedule of installments, each paid by
    # international wire or by card (orders.models_export.Installment).
    INSTALLMENTS = "installments", _("Payment schedule (wire or card)")


class Currency(models.TextChoices):
    VND = "VND", "VND"
    USD = "USD", "USD"


# --- Cart ---


class Cart(TimeStampedModel):
    """A signed-in buyer's cart (`user`) or a guest's (`session_key`); merged at login."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="cart"
    )
    session_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(session_key__isnull=False),
                name="cart_has_owner",
            )
        ]


class CartLine(TimeStampedModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(**QTY)
    # The unit price the buyer last saw: a difference from today's price becomes a message.
    unit_price_seen = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cartline_unique_product"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="cartline_qty_positive"
            ),
        ]


# --- Shipping ---


class ShippingRule(TimeStampedModel):
    """How a cooperative charges shipping: a flat fee, or a base fee plus a fee per started kg.
    Orders at or above `free_over_vnd` ship free. A cooperative without a rule uses `DEFAULT`."""

    class Kind(models.TextChoices):
        FLAT = "FLAT", _("Flat fee")
        WEIGHT = "WEIGHT", _("By weight")

    cooperative = models.OneToOneField(
        Cooperative, on_delete=models.CASCADE, related_name="shipping_rule"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.FLAT)
    flat_fee_vnd = models.PositiveBigIntegerField(default=30_000)
    base_fee_vnd = models.PositiveBigIntegerField(default=0)
    per_kg_vnd = models.PositiveBigIntegerField(default=0)
    free_over_vnd = models.PositiveBigIntegerField(null=True, blank=True)

    DEFAULT = {
        "kind": "FLAT",
        "flat_fee_vnd": 30_000,
        "base_fee_vnd": 0,
        "per_kg_vnd": 0,
        "free_over_vnd": None,
    }


# --- Checkout and orders ---


class Checkout(TimeStampedModel):
    """One buyer payment holding one Order per cooperative."""

    buyer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="checkouts")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.VND)
    usd_vnd_rate = models.PositiveIntegerField(
        null=True, blank=True
    )  # the rate used for a USD quote
    subtotal_vnd = models.PositiveBigIntegerField()
    shipping_vnd = models.PositiveBigIntegerField()
    total_vnd = models.PositiveBigIntegerField()
    total_usd = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    # Shipping address: Vietnamese (province + ward) or export (country + Incoterm).
    recipient_name = models.CharField(max_length=150)
    recipient_phone = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="VN")
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ward = models.ForeignKey(
        Ward, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address_line = models.CharField(max_length=255)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The backstop behind a double click: one checkout per (buyer, form token / key).
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"], name="checkout_idempotency_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(country="VN", province__isnull=False, ward__isnull=False)
                | (~models.Q(country="VN") & ~models.Q(incoterm="")),
                name="checkout_address_complete",
            ),
        ]


class Order(TimeStampedModel):
    """The part of a checkout that one cooperative fulfils."""

    class Status(models.TextChoices):
        PLACED = "PLACED", _("Placed")
        CONFIRMED = "CONFIRMED", _("Confirmed")
        PACKED = "PACKED", _("Packed")
        SHIPPED = "SHIPPED", _("Shipped")
        DELIVERED = "DELIVERED", _("Delivered")
        COMPLETED = "COMPLETED", _("Completed")
        CANCELLED = "CANCELLED", _("Cancelled")
        REFUSED = "REFUSED", _("Refused")

    class PaymentStatus(models.TextChoices):
        UNPAID = "UNPAID", _("Unpaid")
        PAID = "PAID", _("Paid")
        PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", _("Partially refunded")
        REFUNDED = "REFUNDED", _("Refunded")

    # Allowed moves, declared once; `orders.services.transitions` performs them.
    ALLOWED_TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.PLACED: {Status.CONFIRMED, Status.REFUSED, Status.CANCELLED},
        Status.CONFIRMED: {Status.PACKED, Status.CANCELLED},
        Status.PACKED: {Status.SHIPPED, Status.CANCELLED},
        Status.SHIPPED: {Status.DELIVERED},
        Status.DELIVERED: {Status.COMPLETED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
        Status.REFUSED: set(),
    }
    # Who may make each move ("buyer", "coop" = the cooperative's staff, "admin", "system").
    # A buyer may cancel only before confirmation (checked in the service).
    TRANSITION_ACTORS: ClassVar[dict[str, set[str]]] = {
        # "system": an export order is confirmed (in production) when its deposit is paid.
        Status.CONFIRMED: {"coop", "admin", "system"},
        Status.REFUSED: {"coop", "admin"},
        Status.PACKED: {"coop", "admin"},
        Status.SHIPPED: {"coop", "admin"},
        Status.DELIVERED: {"coop", "admin"},
        Status.COMPLETED: {"buyer", "admin", "system"},  # system: N days after delivery
        Status.CANCELLED: {"buyer", "coop", "admin", "system"},
    }
    STOCK_RELEASING = {Status.CANCELLED, Status.REFUSED}

    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="orders")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="orders")
    code = models.CharField(
        max_length=32, unique=True, null=True
    )  # HTX-2026-000123, set after insert
    subtotal_vnd = models.PositiveBigIntegerField()
    shipping_fee_vnd = models.PositiveBigIntegerField()
    commission_percent = models.DecimalField(max_digits=5, decimal_places=2)
    commission_vnd = models.PositiveBigIntegerField()
    total_vnd = models.PositiveBigIntegerField()
    # Money received for this order (VND), set when it is paid. `total_vnd` can drop afterwards
    # (refused lines); refunds are measured against what was received, never against the total.
    amount_paid_vnd = models.PositiveBigIntegerField(default=0)
    amount_refunded_vnd = models.PositiveBigIntegerField(default=0)
    # Escrow-style release (`orders.services.release`): when the money held for this order became
    # the cooperative's (COMPLETED, or N days after DELIVERED), and how much was held then.
    released_at = models.DateTimeField(null=True, blank=True)
    released_vnd = models.PositiveBigIntegerField(default=0)
    # Export orders paid in installments, partly by card (into the platform's Stripe balance) and
    # partly by wire (to the cooperative directly): the card part of `amount_paid_vnd`, and of
    # `released_vnd` (orders.ledger). Card orders are card money whole; other methods, none.
    amount_paid_card_vnd = models.PositiveBigIntegerField(default=0)
    released_card_vnd = models.PositiveBigIntegerField(default=0)
    # An export installment's card charge refunded at Stripe (its dashboard) while the schedule
    # ran: received and refunded (both stay in `amount_paid_vnd` / `amount_refunded_vnd`, as the
    # ledger has them), and owed again by the schedule (the installment's `amount_paid` went
    # down). Paying it again adds to `amount_paid_vnd`, so a paid schedule has received
    # `total_vnd` + this; the payment status leaves it out (`derived_payment_status`).
    amount_owed_again_vnd = models.PositiveBigIntegerField(default=0)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    payment_status = models.CharField(
        max_length=18, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    cancel_reason = models.TextField(blank=True)
    reserved_until = models.DateTimeField(null=True, blank=True)  # unpaid orders expire then
    placed_at = models.DateTimeField()
    # Where the buyer pays by bank transfer, copied from the cooperative's approved account at
    # checkout: a later change of the cooperative's account never retargets an open order.
    payee_bank_bin = models.CharField(max_length=6, blank=True)
    payee_bank_account = models.CharField(max_length=19, blank=True)
    payee_bank_account_name = models.CharField(max_length=100, blank=True)

    # Not a field: the unsaved lines of an order being placed (orders.services.checkout).
    draft_lines: list["OrderLine"]

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            # The order desk: one tab (cooperative, status), oldest first, a page at a time.
            # Without placed_at/id in the index a busy cooperative's tab joined and sorted
            # every order of that status for 25 of them (28 ms at 3,000 placed orders).
            models.Index(fields=["cooperative", "status", "placed_at", "id"]),
            models.Index(fields=["buyer", "placed_at"]),
            models.Index(fields=["payment_status", "reserved_until"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_refunded_vnd__lte=models.F("amount_paid_vnd")),
                name="order_refund_within_paid",
            ),
        ]

    def __str__(self):
        return self.code or f"order #{self.pk}"

    def can_move_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.status, set())

    @property
    def payee(self) -> dict:
        """The account this order is paid into: the snapshot taken at checkout (orders placed
        before snapshots existed fall back to the cooperative's approved account)."""
        if self.payee_bank_account:
            return {
                "bank_bin": self.payee_bank_bin,
                "bank_account": self.payee_bank_account,
                "bank_account_name": self.payee_bank_account_name,
            }
        coop = self.cooperative
        return {
            "bank_bin": coop.bank_bin,
            "bank_account": coop.bank_account,
            "bank_account_name": coop.bank_account_name,
        }

    @property
    def is_paid(self) -> bool:
        return self.payment_status in {
            self.PaymentStatus.PAID,
            self.PaymentStatus.PARTIALLY_REFUNDED,
            self.PaymentStatus.REFUNDED,
        }

    @property
    def takes_refunds(self) -> bool:
        """Whether a refund may be made now: money was received for the order. It is paid; or
        it is an export order paid in part whose schedule still runs (a claim on the deposit's
        goods: a refund of money received, which does not lower what the schedule still owes);
        or it has ended with money received (an export order cancelled with only its deposit
        paid: its refund may fail at Stripe and be made again)."""
        return self.is_paid or self.amount_paid_vnd > 0

    def derived_payment_status(self, *, ending: bool = False) -> str:
        """PAID, PARTIALLY_REFUNDED or REFUNDED from the money received and refunded so far.
        Money refunded at Stripe and owed (then paid) again by the schedule is left out of both:
        a schedule paid again in full is PAID; nothing kept of what was received, REFUNDED.
        Once the order has ended (cancelled, refused) nothing is owed again: that money is
        refunded like the rest, so an order cancelled with part of it refunded at Stripe is
        PARTIALLY_REFUNDED until the rest is given back, never PAID. (`ending`: the order is
        being cancelled or refused, its new status not set yet.)"""
        ended = ending or self.status in self.STOCK_RELEASING
        again = 0 if ended else self.amount_owed_again_vnd
        refunded, paid = self.amount_refunded_vnd - again, self.amount_paid_vnd - again
        if self.amount_refunded_vnd <= 0:
            return self.PaymentStatus.PAID
        if refunded >= paid:
            return self.PaymentStatus.REFUNDED
        if refunded <= 0:
            return self.PaymentStatus.PAID
        return self.PaymentStatus.PARTIALLY_REFUNDED

    @property
    def vietqr_memo(self) -> str | None:
        return self.code


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    # Snapshot at placement: later catalog edits never change a placed order.
    product_name = models.CharField(max_length=255)
    sku = models.CharField(max_length=64)
    unit = models.CharField(max_length=8)
    unit_price_vnd = models.PositiveBigIntegerField()
    quantity = models.DecimalField(**QTY)
    line_total_vnd = models.PositiveBigIntegerField()
    weight_kg = models.DecimalField(default=Decimal("0"), **QTY)
    refused = models.BooleanField(default=False)
    refused_reason = models.TextField(blank=True)
    # Set once when this line's stock goes back: the guard that makes a second release impossible.
    stock_released = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="orderline_qty_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class OrderEvent(models.Model):
    """Audit row for every change of an order: who, when, what, note."""

    class Kind(models.TextChoices):
        STATUS = "STATUS", _("Status change")
        PAYMENT = "PAYMENT", _("Payment")
        LINE_REFUSED = "LINE_REFUSED", _("Line refused")
        REFUND = "REFUND", _("Refund")
        NOTE = "NOTE", _("Note")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.STATUS)
    from_status = models.CharField(max_length=18, blank=True)
    to_status = models.CharField(max_length=18, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


# --- Payments ---


class Payment(TimeStampedModel):
    """Money for a checkout (Stripe: one per checkout) or an order (bank transfer, COD).

    `amount` is the amount to collect while PENDING and the amount received once SUCCEEDED; it
    always says what the buyer pays (or paid), never an older figure. Before payment it follows
    the orders (refused lines, cancelled orders of a card checkout; `amount_version` counts those
    changes and keys the Stripe update). After payment it never changes: money going back is in
    `Refund` rows (and `amount_refunded`)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")
        FAILED = "FAILED", _("Failed")
        PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", _("Partially refunded")
        REFUNDED = "REFUNDED", _("Refunded")
        CANCELLED = "CANCELLED", _("Cancelled")

    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="payments")
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    provider = models.CharField(max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2)  # in `currency` (VND integral)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    amount_refunded = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    status = models.CharField(max_length=18, choices=Status.choices, default=Status.PENDING)
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)  # e.g. pi_...
    client_secret = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    amount_version = models.PositiveIntegerField(default=1)
    # An export installment's card charge for more than its installment still owed (a wire paid
    # it meanwhile): the part never counted as the order's money, given back to the card by us
    # (key `payment:{id}:excess`). Set once, when the charge is counted: a replayed charge event
    # finds it and adds nothing.
    excess = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["id"]

    @property
    def stripe_amount(self) -> int:
        """Amount in Stripe's smallest unit: VND is zero-decimal (never x100), USD in cents."""
        return money.to_minor(self.amount, self.currency)

    def stripe_idempotency_key(self) -> str:
        return f"checkout:{self.checkout_id}:pi:v1"

    def stripe_update_idempotency_key(self) -> str:
        return f"payment:{self.pk}:amount:v{self.amount_version}"


class Refund(TimeStampedModel):
    """Money going back to the buyer for one order. Card refunds are PENDING until Stripe accepts
    them (submitted after commit with key `refund:{id}`); bank-transfer and cash refunds made by a
    cancellation or refused lines are PENDING until an admin pays them back by bank transfer and
    marks them paid out. Only a SUCCEEDED refund counts in `Order.amount_refunded_vnd`."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")
        FAILED = "FAILED", _("Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_vnd = models.PositiveBigIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    # Made after the order's money was released to the cooperative: it comes out of the
    # cooperative's payable (card) instead of the money still held (ledger postings).
    after_release = models.BooleanField(default=False)
    # After release: the commission charged on the refunded money, given back to the cooperative
    # (orders.money.commission_back_vnd; ledger: commission revenue → the cooperative).
    commission_back_vnd = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_vnd__gt=0), name="refund_amount_positive"
            )
        ]

    def stripe_idempotency_key(self) -> str:
        return f"refund:{self.pk}"


class PaymentWebhookEvent(models.Model):
    """Each provider notification stored once by its id (Stripe event id, bank transaction id)."""

    provider = models.CharField(max_length=16)  # "stripe" | "bankfeed"
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    result = models.CharField(max_length=40, blank=True)  # e.g. "paid", "unmatched", "ignored"
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` claimed by a principal for one operation, with the stored response."""

    class State(models.TextChoices):
        STARTED = "STARTED", "started"
        FINISHED = "FINISHED", "finished"

    principal = models.CharField(max_length=64)  # "user:42"
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=100)  # "POST /api/v1/checkout/"
    fingerprint = models.CharField(max_length=64)  # sha256 of the canonical JSON body
    state = models.CharField(max_length=8, choices=State.choices, default=State.STARTED)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.scope} {self.key}"


from orders.models_export import (  # noqa: E402, F401  (export orders: models of this app)
    BalanceDue,
    ExchangeRate,
    ExportTerms,
    Installment,
    InstallmentReceipt,
)
