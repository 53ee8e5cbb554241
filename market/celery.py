"""The Celery application of HTX Market (workers: `celery -A market worker`, beat: `celery -A
market beat`). Configuration comes from the Django settings named CELERY_*; tasks are found in
each app's `tasks.py`. Code never calls `.delay()`/`.apply_async()` itself: it goes through
`market.background.enqueue`, which also works with no broker at all (see there)."""

import os

from celery import Celery, signals
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")

app = Celery("htx")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Database connections in the worker are kept like the web's (CONN_MAX_AGE, health-checked before
# reuse), not opened per task: Celery's Django fixup closes every connection before and after
# each task unless CELERY_DB_REUSE_MAX is set (settings), and a new PostgreSQL connection (a
# forked server process and its authentication) cost more CPU than most of our tasks. Django's
# own per-request rule applies instead: drop a connection that is broken, in a failed
# transaction, or older than CONN_MAX_AGE.
@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(**kwargs):
    from django.db import close_old_connections

    close_old_connections()


# The periodic work (run by `celery -A market beat`; it replaces the cron list). Each task is
# idempotent and safe to overlap with itself; times are Asia/Ho_Chi_Minh.
app.conf.beat_schedule = {
    "background-flush": {"task": "market.background_flush", "schedule": 30.0},
    "background-prune": {"task": "market.background_prune", "schedule": crontab(hour=3, minute=10)},
    "search-sync": {"task": "search.sync", "schedule": 60.0},
    "search-check": {"task": "search.check", "schedule": crontab(hour=2, minute=30)},
    "import-jobs-resume": {"task": "catalog.import_jobs_resume", "schedule": 60.0},
    "orders-expire-unpaid": {"task": "orders.expire_unpaid", "schedule": crontab(minute=5)},
    "orders-complete-delivered": {
        "task": "orders.complete_delivered",
        "schedule": crontab(hour=1, minute=20),
    },
    "ledger-check": {"task": "ledger.check", "schedule": crontab(hour=4, minute=0)},
    "ledger-payout-run": {
        "task": "ledger.payout_run",
        "schedule": crontab(day_of_week="mon", hour=6, minute=0),
    },
    "rfqs-close-due": {"task": "quotes.rfqs_close_due", "schedule": crontab(minute="*/15")},
    "certifications-expire": {
        "task": "catalog.certifications_expire",
        "schedule": crontab(hour=0, minute=15),
    },
}
