"""Reads of the ledger: balances (by SUM of entries), what a cooperative can be paid, monthly
statements and commission invoices. A cooperative's data is only returned to its staff and to
admins (`cooperative_get_for_actor`)."""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from ledger.errors import NotFound, PeriodInvalid
from ledger.models import Account, Entry, PayoutLine, Transaction
from market.cooperatives.selectors import is_cooperative_staff
from market.models import Cooperative, User

K = Account.Kind
T = Transaction.Kind


def cooperative_get_for_actor(*, actor: User, cooperative_id: int) -> Cooperative:
    """The cooperative, when `actor` is one of its staff or an admin. NotFound otherwise (the
    same answer for missing and not yours)."""
    coop = Cooperative.objects.filter(pk=cooperative_id).first()
    if coop is None or not (actor and actor.is_authenticated and actor.is_active):
        raise NotFound()
    if actor.is_platform_admin:
        return coop
    if not is_cooperative_staff(user=actor, cooperative_id=coop.pk):
        raise NotFound()
    return coop


def _sums(entries: QuerySet[Entry]) -> dict[str, int]:
    return {
        row["account__kind"]: row["s"]
        for row in entries.values("account__kind").annotate(s=Sum("amount")).order_by()
    }


def _coop_entries(cooperative_id: int, currency: str = "VND") -> QuerySet[Entry]:
    return Entry.objects.filter(account__cooperative_id=cooperative_id, currency=currency)


@dataclass
class Available:
    gross_vnd: int  # payable (released, not yet in a pending payout line)
    receivable_vnd: int  # commission it owes us, not yet netted in a pending line (< 0: we owe)
    netted_vnd: int  # the part of the receivable set off against the gross (< 0: paid back)
    net_vnd: int  # what a transfer would send (< 0: the cooperative owes us, nothing is paid)

    @property
    def owes_vnd(self) -> int:
        """What the cooperative owes us back (its payable below zero: card money refunded after
        it was paid out), set off against the money released to it next."""
        return max(-self.net_vnd, 0)


def cooperative_available(*, cooperative_id: int, excluding_line: int | None = None) -> Available:
    sums = _sums(_coop_entries(cooperative_id))
    open_lines = PayoutLine.objects.filter(
        cooperative_id=cooperative_id, status=PayoutLine.Status.PENDING
    )
    if excluding_line is not None:
        open_lines = open_lines.exclude(pk=excluding_line)
    reserved = open_lines.aggregate(g=Sum("gross_vnd"), n=Sum("netted_vnd"))
    gross = -sums.get(K.COOP_PAYABLE, 0) - (reserved["g"] or 0)
    receivable = sums.get(K.COOP_RECEIVABLE, 0) - (reserved["n"] or 0)
    # Commission given back after it was set off leaves the receivable below zero: money we owe
    # the cooperative, paid with the transfer (netted < 0), never kept back. While its payable is
    # below zero (card money refunded after it was paid out) nothing is paid (a payout line's gross
    # is never negative): both wait until released money brings the payable back.
    if gross < 0:
        return Available(gross, receivable, 0, gross)
    netted = receivable if receivable < 0 else min(receivable, gross)
    return Available(gross, receivable, netted, gross - netted)


@dataclass
class CoopBalances:
    pending_release_vnd: int
    payable_vnd: int
    receivable_vnd: int
    paid_this_month_vnd: int
    available: Available

    @property
    def commission_owed_vnd(self) -> int:
        """Commission the cooperative owes us (on orders paid to it directly)."""
        return max(self.receivable_vnd, 0)

    @property
    def commission_owed_back_vnd(self) -> int:
        """Commission we owe it back (refunds after it was set off); paid with the next payout."""
        return max(-self.receivable_vnd, 0)


def _month_start(now: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(date(now.year, now.month, 1), time.min))


def balances_for_cooperative(*, cooperative_id: int) -> CoopBalances:
    """Pending release (received for orders not yet completed), payable (released, not paid
    out), commission receivable, and paid out this month."""
    sums = _sums(_coop_entries(cooperative_id))
    paid = Entry.objects.filter(
        transaction__kind=T.PAYOUT,
        transaction__cooperative_id=cooperative_id,
        transaction__created_at__gte=_month_start(timezone.localtime()),
        account__kind=K.PLATFORM_BANK,
    ).aggregate(s=Sum("amount"))["s"]
    return CoopBalances(
        pending_release_vnd=-(sums.get(K.COOP_PENDING, 0) + sums.get(K.COOP_DIRECT, 0)),
        payable_vnd=-sums.get(K.COOP_PAYABLE, 0),
        receivable_vnd=sums.get(K.COOP_RECEIVABLE, 0),
        paid_this_month_vnd=-(paid or 0),
        available=cooperative_available(cooperative_id=cooperative_id),
    )


def balances_for_admin() -> list[dict[str, Any]]:
    """Per cooperative with any ledger account: its balances, sorted by what we owe it."""
    rows: dict[int, dict[str, int]] = {}
    sums = (
        Entry.objects.filter(account__cooperative__isnull=False)
        .values("account__cooperative_id", "account__kind")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    for row in sums:
        rows.setdefault(row["account__cooperative_id"], {})[row["account__kind"]] = row["s"]
    names = {c.pk: c for c in Cooperative.objects.filter(pk__in=rows)}
    out = [
        {
            "cooperative": names[cid],
            "pending_release_vnd": -(k.get(K.COOP_PENDING, 0) + k.get(K.COOP_DIRECT, 0)),
            "payable_vnd": -k.get(K.COOP_PAYABLE, 0),
            "receivable_vnd": k.get(K.COOP_RECEIVABLE, 0),
        }
        for cid, k in rows.items()
    ]
    return sorted(out, key=lambda r: (-r["payable_vnd"], r["cooperative"].pk))


def platform_balances() -> list[dict[str, Any]]:
    """Every platform account with its balance (+ debit, - credit)."""
    sums = (
        Entry.objects.filter(account__cooperative__isnull=True)
        .values("account_id", "account__kind", "currency")
        .annotate(s=Sum("amount"))
        .order_by("account__kind")
    )
    return [
        {
            "account_id": r["account_id"],
            "kind": r["account__kind"],
            "currency": r["currency"],
            "balance": r["s"],
        }
        for r in sums
    ]


def payout_outlook() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The next payout run's lines (what it would pay, before the minimum), and the cooperatives
    that owe the platform instead: card money refunded after it was paid out to them
    (`refunds_vnd`, their payable below zero) and commission on orders paid to them directly
    beyond the money released to them (`commission_vnd`). What they owe comes off the money
    released to them next; nothing is paid to them until then."""
    ids = Account.objects.filter(cooperative__isnull=False).values_list("cooperative_id")
    due, owing = [], []
    for coop in Cooperative.objects.filter(pk__in=ids).order_by("pk"):
        available = cooperative_available(cooperative_id=coop.pk)
        if available.net_vnd > 0:
            due.append({"cooperative": coop, "available": available})
        commission = max(available.receivable_vnd - max(available.netted_vnd, 0), 0)
        if available.owes_vnd or commission:
            owing.append(
                {
                    "cooperative": coop,
                    "refunds_vnd": available.owes_vnd,
                    "commission_vnd": commission,
                    "total_vnd": available.owes_vnd + commission,
                }
            )
    return due, sorted(owing, key=lambda r: (-r["total_vnd"], r["cooperative"].pk))


# --- statements ---


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """'2026-11' → its first instant and the next month's, in the site's time zone.
    Raises PeriodInvalid (bad format, or a month not started yet)."""
    try:
        year, month = (int(x) for x in period.split("-"))
        start = date(year, month, 1)
    except (ValueError, TypeError):
        raise PeriodInvalid(fields={"period": period})
    if start > timezone.localdate() or year < 2000:
        raise PeriodInvalid(fields={"period": period})
    days = calendar.monthrange(year, month)[1]
    end = date.fromordinal(start.toordinal() + days)
    aware = timezone.make_aware
    return aware(datetime.combine(start, time.min)), aware(datetime.combine(end, time.min))


@dataclass
class StatementRow:
    date: date
    reference: str
    direct: bool = False
    gross_vnd: int = 0  # released for the order (card: to the payable; direct: kept by the coop)
    commission_vnd: int = 0
    refunds_vnd: int = 0  # refunds after release
    payout_vnd: int = 0
    adjustment_vnd: int = 0

    @property
    def net_vnd(self) -> int:
        """The row's effect on what the platform owes the cooperative (payable − receivable)."""
        gross = 0 if self.direct else self.gross_vnd
        return (
            gross - self.commission_vnd - self.refunds_vnd - self.payout_vnd + self.adjustment_vnd
        )


@dataclass
class Statement:
    cooperative: Cooperative
    period: str
    opening_vnd: int
    closing_vnd: int
    rows: list[StatementRow] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        keys = (
            "gross_vnd",
            "commission_vnd",
            "refunds_vnd",
            "payout_vnd",
            "adjustment_vnd",
            "net_vnd",
        )
        return {k: sum(getattr(r, k) for r in self.rows) for k in keys}


POSITION = (K.COOP_PAYABLE, K.COOP_RECEIVABLE)


def _position(cooperative_id: int, before: datetime) -> int:
    """What the platform owes the cooperative (payable − receivable) before `before`."""
    s = (
        _coop_entries(cooperative_id)
        .filter(account__kind__in=POSITION, transaction__created_at__lt=before)
        .aggregate(s=Sum("amount"))["s"]
    )
    return -(s or 0)


def statement_for_cooperative(*, cooperative: Cooperative, period: str) -> Statement:
    """The month's statement: opening balance, a row per order (gross released, commission,
    refunds after release) and per payout or adjustment, closing balance. The rows' net adds up
    to closing − opening (`ledger_check` recomputes the same entries from the orders)."""
    start, end = month_bounds(period)
    txns = (
        Transaction.objects.filter(
            cooperative_id=cooperative.pk, created_at__gte=start, created_at__lt=end
        )
        .exclude(kind=T.PAYMENT)
        .prefetch_related("entries__account")
        .order_by("created_at", "pk")
    )
    rows: dict[str, StatementRow] = {}
    for txn in txns:
        ref = txn.reference or f"#{txn.pk}"
        key = ref if txn.kind in (T.RELEASE, T.COMMISSION, T.REFUND) else f"{txn.kind}:{txn.pk}"
        row = rows.setdefault(
            key, StatementRow(date=timezone.localdate(txn.created_at), reference=ref)
        )
        by_kind: dict[str, int] = {}
        for e in txn.entries.all():
            by_kind[e.account.kind] = by_kind.get(e.account.kind, 0) + e.amount
        _fill(row, txn.kind, by_kind)
    rows_list = [
        r
        for r in rows.values()
        if any((r.gross_vnd, r.commission_vnd, r.refunds_vnd, r.payout_vnd, r.adjustment_vnd))
    ]
    return Statement(
        cooperative=cooperative,
        period=period,
        opening_vnd=_position(cooperative.pk, start),
        closing_vnd=_position(cooperative.pk, end),
        rows=rows_list,
    )


def _fill(row: StatementRow, kind: str, by_kind: dict[str, int]) -> None:
    payable, receivable = by_kind.get(K.COOP_PAYABLE, 0), by_kind.get(K.COOP_RECEIVABLE, 0)
    if kind == T.RELEASE:
        row.direct = K.COOP_DIRECT in by_kind
        row.gross_vnd += -(payable + by_kind.get(K.COOP_DIRECT, 0))
    elif kind == T.COMMISSION:
        row.commission_vnd += payable + receivable
    elif kind == T.REFUND:
        row.refunds_vnd += payable
    elif kind == T.PAYOUT:
        row.payout_vnd += payable + receivable
    elif kind == T.ADJUSTMENT:
        row.adjustment_vnd += -(payable + receivable)


@dataclass
class CommissionInvoice:
    cooperative: Cooperative
    period: str
    lines: list[tuple[date, str, int]]

    @property
    def total_vnd(self) -> int:
        return sum(amount for _d, _r, amount in self.lines)


def commission_invoice_for_cooperative(
    *, cooperative: Cooperative, period: str
) -> CommissionInvoice:
    """Commission charged in the month on orders the cooperative was paid for directly (bank
    transfer, cash on delivery): what it owes the platform."""
    start, end = month_bounds(period)
    entries = (
        Entry.objects.filter(
            account__cooperative_id=cooperative.pk,
            account__kind=K.COOP_RECEIVABLE,
            transaction__kind=T.COMMISSION,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .select_related("transaction")
        .order_by("transaction__created_at", "pk")
    )
    lines = [
        (timezone.localdate(e.transaction.created_at), e.transaction.reference, e.amount)
        for e in entries
    ]
    return CommissionInvoice(cooperative=cooperative, period=period, lines=lines)
