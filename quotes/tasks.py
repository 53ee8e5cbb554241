"""Background tasks of RFQs: closing them at their closing date (every 15 minutes from beat;
`manage.py rfqs_close_due` does the same from cron or by hand)."""

from celery import shared_task

from market.background import HtxTask


@shared_task(base=HtxTask, name="quotes.rfqs_close_due")
def rfqs_close_due() -> dict:
    """Close open RFQs past their closing date. Safe to re-run: each is locked and re-checked."""
    from quotes.services import rfq_close_due

    closed, checked = rfq_close_due()
    return {"closed": closed, "checked": checked}
