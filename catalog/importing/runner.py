"""Run import jobs off the request: one daemon thread per job in the current process.

CATALOG_IMPORT_RUNNER = "thread" (default) or "inline" (run synchronously in the caller; the
tests on SQLite in memory use it, because a thread cannot see an in-memory database).

A thread is only a convenience: the job row is the source of truth. The worker claims the job
with a conditional UPDATE (catalog.services.imports.import_job_claim), so two threads or two
processes never run the same job, and refreshes a heartbeat with its progress. If the process
dies, the job stays PENDING/VALIDATING/APPLYING with a stale heartbeat and
`manage.py import_jobs_resume` (or the next poll of its page) runs it again from the start."""

import logging
import threading

from django.conf import settings
from django.db import connections

logger = logging.getLogger("htx.catalog.import_runner")
_lock = threading.Lock()
_running: set[int] = set()


def mode() -> str:
    return getattr(settings, "CATALOG_IMPORT_RUNNER", "thread")


def start(job_id: int, *, on_progress=None):
    """Run the job now (inline) or in a new thread. Returns the finished job (inline, or None
    when someone else holds it) or the thread."""
    from catalog.services.imports import import_job_run

    if mode() == "inline":
        return import_job_run(job_id=job_id, on_progress=on_progress)
    with _lock:
        if job_id in _running:  # already running here; the claim would refuse it anyway
            return None
        _running.add(job_id)
    thread = threading.Thread(
        target=_work, args=(job_id,), name=f"import-job-{job_id}", daemon=True
    )
    thread.start()
    return thread


def _work(job_id: int) -> None:
    from catalog.services.imports import import_job_run

    try:
        import_job_run(job_id=job_id)
    except Exception:  # the job row already says FAILED; nobody is waiting on this thread
        logger.exception("import job %s failed", job_id)
    finally:
        with _lock:
            _running.discard(job_id)
        # This thread's own connection: a thread that ends without closing it leaks it.
        connections.close_all()
