"""`ledger_check`: every transaction balanced, and every account equal to what the money events
recorded elsewhere say it should hold.

The ledger knows nothing of orders, so each app that posts registers a *source*: a function
yielding the legs its records imply (`orders.ledger.expected_legs` from payments, refunds and
orders). Payouts and adjustments are the ledger's own records and are recomputed here."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, Sum

from ledger.models import Account, Entry, PayoutLine, Transaction
from ledger.services import Leg, payout_legs

_sources: list[Callable[[], Iterable[Leg]]] = []


def register_source(fn: Callable[[], Iterable[Leg]]) -> None:
    if fn not in _sources:
        _sources.append(fn)


def _own_legs() -> Iterable[Leg]:
    for line in PayoutLine.objects.filter(status=PayoutLine.Status.PAID):
        yield from payout_legs(line)
    adjustments = Entry.objects.filter(
        transaction__kind=Transaction.Kind.ADJUSTMENT
    ).select_related("account")
    for e in adjustments:
        yield Leg(e.account.kind, e.amount, e.account.cooperative_id, e.currency)


AccountKey = tuple[str, int | None, str]


@dataclass
class CheckResult:
    transactions: int
    unbalanced: list[int]
    drift: dict[AccountKey, tuple[int, int]]  # account → (expected, in the ledger)

    @property
    def drift_total(self) -> int:
        return sum(abs(expected - actual) for expected, actual in self.drift.values())

    @property
    def ok(self) -> bool:
        return not self.unbalanced and not self.drift


def ledger_check() -> CheckResult:
    unbalanced = list(
        Entry.objects.values("transaction_id", "currency")
        .annotate(s=Sum("amount"))
        .exclude(s=0)
        .values_list("transaction_id", flat=True)
    )
    empty = Transaction.objects.annotate(n=Count("entries")).filter(n__lt=2)
    unbalanced += list(empty.values_list("pk", flat=True))
    expected: dict[AccountKey, int] = defaultdict(int)
    for source in [*_sources, _own_legs]:
        for leg in source():
            expected[(leg.kind, leg.cooperative_id, leg.currency)] += leg.amount
    actual: dict[AccountKey, int] = defaultdict(int)
    rows = (
        Entry.objects.values("account__kind", "account__cooperative_id", "currency")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    for r in rows:
        actual[(r["account__kind"], r["account__cooperative_id"], r["currency"])] += r["s"]
    drift = {
        key: (expected.get(key, 0), actual.get(key, 0))
        for key in set(expected) | set(actual)
        if expected.get(key, 0) != actual.get(key, 0)
    }
    return CheckResult(
        transactions=Transaction.objects.count(), unbalanced=sorted(set(unbalanced)), drift=drift
    )


def account_label(key: AccountKey) -> str:
    kind, coop, currency = key
    label = Account.Kind(kind).label
    return f"{label}{f' #{coop}' if coop else ''} ({currency})"
