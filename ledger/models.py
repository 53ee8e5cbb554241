"""A small double-entry ledger: accounts per currency, transactions that are balanced and
immutable, and the payout batches paid from it.

The ledger knows cooperatives and currencies, nothing of orders: orders post to it (a transaction
carries a free-text `reference`, e.g. an order code, and an idempotency `key`); payouts and
statements read it. Amounts are signed integers in the currency's smallest unit (VND: đồng):
positive = debit, negative = credit. Each transaction's entries sum to zero per currency.

Why not django-hordak: it is kept and fits the bookkeeping, but its migrations install balance
triggers for PostgreSQL/MySQL only and raise on SQLite, which `make run` uses, and it brings
django-mptt, django-money, django-import-export and django-extensions. Our needs (eight account
kinds, immutable balanced postings, balances by SUM) fit in the models below."""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from market.models import Cooperative


class ImmutableQuerySet(models.QuerySet[Any]):
    """Ledger rows are written once: no bulk update or delete."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("ledger rows are immutable")

    def delete(self) -> NoReturn:
        raise TypeError("ledger rows are immutable")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("ledger rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("ledger rows are immutable")


class Account(models.Model):
    class Kind(models.TextChoices):
        PLATFORM_STRIPE = "PLATFORM_STRIPE", _("Platform: Stripe balance")
        PLATFORM_BANK = "PLATFORM_BANK", _("Platform: bank account")
        COMMISSION = "COMMISSION", _("Platform: commission revenue")
        REFUNDS = "REFUNDS", _("Platform: refunds owed to buyers")
        COOP_PENDING = "COOP_PENDING", _("Cooperative: pending release")
        COOP_PAYABLE = "COOP_PAYABLE", _("Cooperative: payable")
        COOP_RECEIVABLE = "COOP_RECEIVABLE", _("Cooperative: commission receivable")
        COOP_DIRECT = "COOP_DIRECT", _("Cooperative: received directly")

    COOPERATIVE_KINDS = {
        Kind.COOP_PENDING,
        Kind.COOP_PAYABLE,
        Kind.COOP_RECEIVABLE,
        Kind.COOP_DIRECT,
    }

    kind = models.CharField(max_length=16, choices=Kind.choices)
    currency = models.CharField(max_length=3, default="VND")
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "cooperative_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=models.Q(cooperative__isnull=True),
                name="ledger_platform_account_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "cooperative"],
                condition=models.Q(cooperative__isnull=False),
                name="ledger_coop_account_once",
            ),
        ]

    def __str__(self) -> str:
        owner = f" #{self.cooperative_id}" if self.cooperative_id else ""
        return f"{self.get_kind_display()}{owner} ({self.currency})"


class Transaction(ImmutableModel):
    """One money event, posted once (`key`) in the same database transaction as the event."""

    class Kind(models.TextChoices):
        PAYMENT = "PAYMENT", _("Payment received")
        REFUND = "REFUND", _("Refund")
        RELEASE = "RELEASE", _("Release to the cooperative")
        COMMISSION = "COMMISSION", _("Commission")
        PAYOUT = "PAYOUT", _("Payout")
        ADJUSTMENT = "ADJUSTMENT", _("Adjustment")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=100, unique=True)  # "order:12:paid", "refund:3:queued"…
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(max_length=64, blank=True, db_index=True)  # e.g. an order code
    memo = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["cooperative", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class Entry(ImmutableModel):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()  # + debit, - credit, in the currency's smallest unit
    currency = models.CharField(max_length=3, default="VND")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.account_id} {self.amount:+} {self.currency}"


class PayoutBatch(models.Model):
    """One payout run: a line per cooperative, paid by bank transfer from the platform's account."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    minimum_vnd = models.PositiveBigIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"payout batch #{self.pk}"


class PayoutLine(models.Model):
    """What one cooperative is paid in a batch: its released balance (`gross_vnd`) minus the
    commission it owes us (`netted_vnd`), i.e. `amount_vnd` sent by bank transfer. A negative
    `netted_vnd` is commission we owe it back (given back on a refund after its commission was
    already set off): it is added to the transfer. PENDING lines hold their gross back from the
    next run; PAID writes the ledger entries; FAILED returns it."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("To pay")
        PAID = "PAID", _("Paid")
        FAILED = "FAILED", _("Failed")

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="+")
    gross_vnd = models.PositiveBigIntegerField()
    netted_vnd = models.BigIntegerField(default=0)
    amount_vnd = models.PositiveBigIntegerField()
    # Beneficiary snapshot at the run: a later change of bank details does not redirect it.
    beneficiary_name = models.CharField(max_length=150)
    bank_bin = models.CharField(max_length=6, blank=True)
    bank_account = models.CharField(max_length=19, blank=True)
    transfer_note = models.CharField(max_length=140)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    bank_reference = models.CharField(max_length=100, blank=True)
    failure_reason = models.TextField(blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["batch_id", "cooperative_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "cooperative"], name="payout_line_once"),
            models.CheckConstraint(
                condition=models.Q(amount_vnd__gt=0), name="payout_line_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.cooperative_id} {self.amount_vnd} VND"
