"""Periodic work of the ledger (beat): the weekly payout run and the nightly ledger check."""

import logging
from typing import Any

from celery import shared_task

from market.background import HtxTask

log = logging.getLogger("htx.ledger")


# celery ships no type information: its decorators are untyped to mypy.
@shared_task(base=HtxTask, name="ledger.payout_run")  # type: ignore[untyped-decorator]
def payout_run() -> dict[str, Any]:
    """Create this week's payout batch (nothing when no cooperative is due; a re-run finds the
    balances already held by the pending lines)."""
    from ledger.services import payout_run as run

    batch = run()
    if batch is None:
        return {"batch": None, "lines": 0}
    return {"batch": batch.pk, "lines": batch.lines.count()}


@shared_task(base=HtxTask, name="ledger.check")  # type: ignore[untyped-decorator]
def check() -> dict[str, Any]:
    """`manage.py ledger_check`, nightly: drift is logged as an error (alerting picks it up)."""
    from ledger.checks import account_label, ledger_check

    result = ledger_check()
    if not result.ok:
        log.error(
            "ledger drift %s VND, unbalanced %s: %s",
            result.drift_total,
            result.unbalanced,
            "; ".join(f"{account_label(k)} {e} != {a}" for k, (e, a) in result.drift.items()),
        )
    return {
        "transactions": result.transactions,
        "drift_vnd": result.drift_total,
        "unbalanced": len(result.unbalanced),
    }
