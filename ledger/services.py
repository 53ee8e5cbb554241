"""Writes of the ledger: posting a balanced transaction, admin adjustments, payout runs and
their settlement. Each public service owns its transaction; `transaction_post` runs inside the
caller's (the money event's) transaction so the event and its entries commit together.

Locks: payout settlement locks the payout line, then the cooperative's payable account (the last
step of the lock order written in `orders/locks.py`); postings only insert rows and lock nothing,
so checkouts, webhooks and refunds never wait on a shared account row."""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.errors import (
    AdminOnly,
    BankReferenceRequired,
    NotFound,
    PayoutExceedsBalance,
    PayoutLineNotPending,
    ReasonRequired,
    Unbalanced,
    ValidationFailed,
)
from ledger.models import Account, Entry, PayoutBatch, PayoutLine, Transaction
from ledger.selectors import cooperative_available
from market.models import Cooperative, User

K = Account.Kind


@dataclass(frozen=True)
class Leg:
    kind: str
    amount: int  # + debit, - credit
    cooperative_id: int | None = None
    currency: str = "VND"


def account_get(*, kind: str, cooperative_id: int | None = None, currency: str = "VND") -> Account:
    """The account of that kind (created on first use; concurrent creators meet on the unique
    constraint and read the winner's row)."""
    if (kind in Account.COOPERATIVE_KINDS) != (cooperative_id is not None):
        raise ValueError(f"{kind}: cooperative accounts need a cooperative, platform ones none")
    lookup = {"kind": kind, "currency": currency, "cooperative_id": cooperative_id}
    found = Account.objects.filter(**lookup).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:
        return Account.objects.get(**lookup)


def transaction_post(
    *,
    kind: str,
    key: str,
    legs: list[Leg],
    cooperative_id: int | None = None,
    reference: str = "",
    memo: str = "",
    actor: User | None = None,
) -> Transaction | None:
    """Write one balanced, immutable transaction inside the caller's database transaction.

    Idempotent by `key`: a second post of the same key returns the first (a replayed webhook,
    a retried command). Legs of zero are dropped; nothing left posts nothing (None).
    Raises Unbalanced when the legs do not sum to zero per currency (nothing written)."""
    assert transaction.get_connection().in_atomic_block, "post inside the event's transaction"
    legs = [leg for leg in legs if leg.amount]
    totals: defaultdict[str, int] = defaultdict(int)
    for leg in legs:
        totals[leg.currency] += leg.amount
    if any(totals.values()):
        raise Unbalanced(fields={"key": key, "totals": dict(totals)})
    existing = Transaction.objects.filter(key=key).first()
    if existing is not None or not legs:
        return existing
    txn = Transaction.objects.create(
        kind=kind,
        key=key,
        cooperative_id=cooperative_id,
        reference=reference[:64],
        memo=memo,
        created_by=actor if actor and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    Entry.objects.bulk_create(
        Entry(
            transaction=txn,
            account=account_get(
                kind=leg.kind, cooperative_id=leg.cooperative_id, currency=leg.currency
            ),
            amount=leg.amount,
            currency=leg.currency,
        )
        for leg in legs
    )
    return txn


def _require_admin(actor: User | None) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_platform_admin):
        raise AdminOnly()


@transaction.atomic
def adjustment_post(
    *,
    actor: User,
    debit_account_id: int,
    credit_account_id: int,
    amount_vnd: int,
    reason: str,
) -> Transaction:
    """An admin moves `amount_vnd` from one account to another, with a reason (for example the
    platform's Stripe payout to its bank account, or a cooperative settling its commission).

    Raises AdminOnly (403), ReasonRequired (400), ValidationFailed (400: bad amount, unknown or
    identical accounts, different currencies). Nothing is written when it raises."""
    _require_admin(actor)
    if not (reason or "").strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    if not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise ValidationFailed(fields={"amount_vnd": [_("Give a positive whole amount.")]})
    accounts = {
        a.pk: a for a in Account.objects.filter(pk__in=[debit_account_id, credit_account_id])
    }
    debit, credit = accounts.get(debit_account_id), accounts.get(credit_account_id)
    if (
        debit is None
        or credit is None
        or debit.pk == credit.pk
        or debit.currency != credit.currency
    ):
        raise ValidationFailed(
            fields={"accounts": [_("Choose two different accounts of the same currency.")]}
        )
    coop_id = debit.cooperative_id or credit.cooperative_id
    txn = Transaction.objects.create(
        kind=Transaction.Kind.ADJUSTMENT,
        key=f"adjustment:{uuid.uuid4()}",
        cooperative_id=coop_id,
        memo=reason.strip(),
        created_by=actor,
        created_at=timezone.now(),
    )
    Entry.objects.bulk_create(
        [
            Entry(transaction=txn, account=debit, amount=amount_vnd, currency=debit.currency),
            Entry(transaction=txn, account=credit, amount=-amount_vnd, currency=credit.currency),
        ]
    )
    return txn


# --- payouts ---


def _transfer_note(batch: PayoutBatch, coop: Cooperative) -> str:
    # Bank memos: ASCII, short. The batch and cooperative ids make every line findable.
    return f"HTX Market thanh toan dot {batch.pk} HTX {coop.pk}"


def _line(batch: PayoutBatch, coop: Cooperative, gross: int, netted: int) -> PayoutLine:
    return PayoutLine.objects.create(
        batch=batch,
        cooperative=coop,
        gross_vnd=gross,
        netted_vnd=netted,
        amount_vnd=gross - netted,
        beneficiary_name=coop.bank_account_name or coop.display_name,
        bank_bin=coop.bank_bin,
        bank_account=coop.bank_account,
        transfer_note=_transfer_note(batch, coop),
    )


def _lock_payable(cooperative_id: int) -> None:
    """Serialise payouts of one cooperative on its payable account row (ledger accounts come
    last in the lock order)."""
    account = account_get(kind=K.COOP_PAYABLE, cooperative_id=cooperative_id)
    Account.objects.select_for_update(of=("self",)).filter(pk=account.pk).first()


@transaction.atomic
def payout_run(*, actor: User | None = None, minimum_vnd: int | None = None) -> PayoutBatch | None:
    """Create a payout batch: per cooperative, its released balance not yet in a pending line,
    minus the commission it owes us, when that is at least `minimum_vnd`
    (`LEDGER_PAYOUT_MINIMUM_VND`). Returns None when no cooperative is due (nothing written).
    Run weekly (beat) or by `manage.py ledger_payout_run`; re-running finds nothing new."""
    if actor is not None:
        _require_admin(actor)
    minimum = settings.LEDGER_PAYOUT_MINIMUM_VND if minimum_vnd is None else minimum_vnd
    coop_ids = Account.objects.filter(kind=K.COOP_PAYABLE).values_list("cooperative_id", flat=True)
    batch, made = None, 0
    for coop in Cooperative.objects.filter(pk__in=list(coop_ids)).order_by("pk"):
        _lock_payable(coop.pk)
        available = cooperative_available(cooperative_id=coop.pk)
        if available.net_vnd < max(minimum, 1):
            continue
        batch = batch or PayoutBatch.objects.create(created_by=actor, minimum_vnd=minimum)
        _line(batch, coop, available.gross_vnd, available.netted_vnd)
        made += 1
    return batch


@transaction.atomic
def payout_create(*, actor: User, cooperative_id: int, amount_vnd: int) -> PayoutLine:
    """An admin pays one cooperative `amount_vnd` now (a batch of one line), at most its
    available balance. Raises AdminOnly, NotFound, ValidationFailed, PayoutExceedsBalance (422);
    nothing is written when it raises."""
    _require_admin(actor)
    coop = Cooperative.objects.filter(pk=cooperative_id).first()
    if coop is None:
        raise NotFound()
    if not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise ValidationFailed(fields={"amount_vnd": [_("Give a positive whole amount.")]})
    _lock_payable(coop.pk)
    available = cooperative_available(cooperative_id=coop.pk)
    if amount_vnd > available.net_vnd:
        raise PayoutExceedsBalance(
            fields={"amount_vnd": amount_vnd, "available_vnd": available.net_vnd}
        )
    netted = available.netted_vnd
    if netted < 0:  # commission we owe it back goes out first, then its released balance
        netted = max(netted, -amount_vnd)
    batch = PayoutBatch.objects.create(created_by=actor, minimum_vnd=0, note="manual")
    return _line(batch, coop, amount_vnd + netted, netted)


def _lock_line(line_id: int) -> PayoutLine:
    line = PayoutLine.objects.select_for_update(of=("self",)).filter(pk=line_id).first()
    if line is None:
        raise NotFound()
    return line


@transaction.atomic
def payout_line_mark_paid(*, actor: User, line_id: int, bank_reference: str) -> PayoutLine:
    """An admin records that the bank transfer of a payout line went out, with the bank's
    reference: the ledger moves the gross off the cooperative's payable (and the netted
    commission off its receivable) and the amount out of the platform's bank account.

    Raises AdminOnly, NotFound, BankReferenceRequired, PayoutLineNotPending (409: paid or failed
    already), PayoutExceedsBalance (422: refunds lowered the balance since the run)."""
    _require_admin(actor)
    if not (bank_reference or "").strip():
        raise BankReferenceRequired(fields={"bank_reference": [_("This field is required.")]})
    line = _lock_line(line_id)
    if line.status != PayoutLine.Status.PENDING:
        raise PayoutLineNotPending(fields={"status": line.status})
    _lock_payable(line.cooperative_id)
    available = cooperative_available(cooperative_id=line.cooperative_id, excluding_line=line.pk)
    # A positive set-off must still be owed to us; a negative one (paid back) still owed by us.
    netted_ok = (
        line.netted_vnd <= available.receivable_vnd
        if line.netted_vnd >= 0
        else line.netted_vnd >= available.receivable_vnd
    )
    if line.gross_vnd > available.gross_vnd or not netted_ok:
        raise PayoutExceedsBalance(
            fields={"gross_vnd": line.gross_vnd, "available_vnd": available.gross_vnd}
        )
    line.status, line.bank_reference = PayoutLine.Status.PAID, bank_reference.strip()[:100]
    line.settled_at, line.settled_by = timezone.now(), actor
    line.save(update_fields=["status", "bank_reference", "settled_at", "settled_by"])
    transaction_post(
        kind=Transaction.Kind.PAYOUT,
        key=f"payout_line:{line.pk}:paid",
        cooperative_id=line.cooperative_id,
        reference=line.bank_reference,
        memo=line.transfer_note,
        actor=actor,
        legs=payout_legs(line),
    )
    return line


def payout_legs(line: PayoutLine) -> list[Leg]:
    return [
        Leg(K.COOP_PAYABLE, line.gross_vnd, line.cooperative_id),
        Leg(K.COOP_RECEIVABLE, -line.netted_vnd, line.cooperative_id),
        Leg(K.PLATFORM_BANK, -line.amount_vnd),
    ]


@transaction.atomic
def payout_line_mark_failed(*, actor: User, line_id: int, reason: str) -> PayoutLine:
    """The bank returned the transfer: the line is FAILED and its amount is available again for
    the next run. Nothing is posted (a pending line never was). Raises AdminOnly, NotFound,
    ReasonRequired, PayoutLineNotPending."""
    _require_admin(actor)
    if not (reason or "").strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    line = _lock_line(line_id)
    if line.status != PayoutLine.Status.PENDING:
        raise PayoutLineNotPending(fields={"status": line.status})
    line.status, line.failure_reason = PayoutLine.Status.FAILED, reason.strip()
    line.settled_at, line.settled_by = timezone.now(), actor
    line.save(update_fields=["status", "failure_reason", "settled_at", "settled_by"])
    return line
