"""Background work: the one way to queue it (`enqueue`), and the base class of every task.

    enqueue("orders.mail_order_placed", order_id=order.pk)

queues the task to run after the current transaction commits (never for a rolled-back one).

- With `CELERY_BROKER_URL` set (production, `make stack-up`), the task is published to the broker
  after commit and a Celery worker runs it. The work is written first as a `BackgroundTask` row in
  the caller's transaction: if the broker is down at that moment the row stays QUEUED and the
  periodic `market.background_flush` publishes it once the broker is back, so nothing is lost.
- Without a broker (`make run`, the test suite) the task runs in this process right after the
  commit: no Redis and no worker needed; a failure is logged and recorded like a worker's (a
  FAILED row that admins can retry). No row is written for the run itself: with no broker there
  is nothing a QUEUED row could be handed to later (`flush` needs one), and the four writes per
  task (insert, claim, finish) cost more than many tasks' own work.

`durable=False` skips the row, for kicks whose real record is elsewhere (the search outbox drain:
the outbox rows are the record and a periodic drain catches up anything a lost kick missed).

Every task uses `HtxTask`: `acks_late` (a worker that dies mid-task leaves the message to another
worker), retries with exponential backoff on any exception except `PermanentError`, the time
limits of the settings, and a claim on its row so a redelivered message that already ran does
nothing. A task made of steps that must not be repeated (the mails of a batch) records each one
with `step_done()` and starts at `steps_done()`: a retry resumes after the last step done. A task that keeps failing ends FAILED: admins see it and can retry it (admin ›
Background tasks). Tasks log with the request id of the request that queued them.
"""

import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from market import metrics
from market.logs import request_id_var
from market.models import BackgroundTask

log = logging.getLogger("htx.tasks")
Status = BackgroundTask.Status

REQUEST_ID_HEADER = "htx_request_id"


@dataclass
class _Run:
    """The task running in this context: its row (None without one) and its steps done."""

    task_id: uuid.UUID | str | None = None
    done: int | None = None  # None: not read from the row yet
    plan: list | None = None  # the steps an earlier attempt planned (read with `done`)


_running: ContextVar[_Run | None] = ContextVar("htx_task_run", default=None)


class PermanentError(Exception):
    """Raised by a task for a failure another attempt cannot fix (a file that does not parse, a row
    that no longer exists): no retry, the task ends FAILED at once (admins still see it)."""


def broker_configured() -> bool:
    return bool(getattr(settings, "CELERY_BROKER_URL", ""))


# ---------------------------------------------------------------- queueing
def enqueue(
    task,
    /,
    *,
    durable: bool = True,
    countdown: int | None = None,
    on_dropped: Callable[[], object] | None = None,
    **kwargs,
) -> str:
    """Run `task` (a task object or its name) with keyword arguments `kwargs` (JSON values) in the
    background after the current transaction commits. Returns the task id. `on_dropped` runs when
    a non-durable task could not be published (the broker is down): it is lost, say so."""
    name = task if isinstance(task, str) else task.name
    task_id = uuid.uuid4()
    rid = request_id_var.get()
    durable = durable and broker_configured()  # the row is only for handing work to a broker
    if durable:
        BackgroundTask.objects.create(id=task_id, name=name, kwargs=kwargs, request_id=rid)
    transaction.on_commit(
        lambda: _dispatch(
            name, task_id, kwargs, rid, durable=durable, countdown=countdown, on_dropped=on_dropped
        )
    )
    return str(task_id)


def _dispatch(
    name, task_id, kwargs, rid, *, durable: bool, countdown: int | None, on_dropped=None
) -> None:
    if not broker_configured():
        run_here(name, task_id, kwargs, rid, row=durable)
        return
    try:
        _publish(name, task_id, kwargs, rid, countdown=countdown)
    except Exception as exc:  # broker down: the row stays QUEUED, background_flush sends it later
        metrics.TASKS_UNPUBLISHED.labels(name).inc()
        log.warning(
            "task %s %s not published (%s); %s",
            name,
            task_id,
            exc,
            "queued for background_flush" if durable else "dropped (not durable)",
        )
        if on_dropped is not None and not durable:
            on_dropped()
        return
    if durable:
        BackgroundTask.objects.filter(pk=task_id, status=Status.QUEUED).update(
            status=Status.SENT, sent_at=timezone.now()
        )


def _publish(name, task_id, kwargs, rid, *, countdown=None) -> None:
    current_app.send_task(
        name,
        kwargs=kwargs,
        task_id=str(task_id),
        headers={REQUEST_ID_HEADER: rid},
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        countdown=countdown,
        retry=False,  # fail fast: the row is the retry
    )


def flush(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Publish queued work that never reached the broker, work whose message was lost (sent
    long ago, never started: e.g. a broker restarted without its data), and work whose worker
    died running it with its message gone (RUNNING past the hard time limit: a live run would
    have ended by then; e.g. a child process killed, whose message the worker gave back at once
    and whose redelivery found the row still running and was skipped). Returns how many rows
    were published; stops at the first publish failure (the broker is still down)."""
    if not broker_configured():
        return 0
    age = older_than_seconds
    if age is None:
        age = settings.BACKGROUND_FLUSH_AFTER_SECONDS
    now = timezone.now()
    lost_after = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 900) * 2
    rows = BackgroundTask.objects.filter(
        Q(status=Status.QUEUED, created_at__lt=now - timedelta(seconds=age))
        | Q(
            status=Status.SENT,
            started_at__isnull=True,
            sent_at__lt=now - timedelta(seconds=lost_after),
        )
        | Q(status=Status.RUNNING, started_at__lt=_orphaned_before(now))
    ).order_by("created_at")[:limit]
    sent = 0
    for row in rows:
        try:
            _publish(row.name, row.id, row.kwargs, row.request_id)
        except Exception as exc:
            log.warning("background_flush: broker still unavailable (%s)", exc)
            break
        # Only as the row was read: a run that claimed it meanwhile keeps it RUNNING (the
        # message just published then finds it running and is skipped).
        BackgroundTask.objects.filter(
            pk=row.pk, status=row.status, started_at=row.started_at
        ).update(status=Status.SENT, sent_at=timezone.now(), started_at=None)
        sent += 1
    return sent


def _orphaned_before(now):
    """A RUNNING row started before this has no live run: the hard time limit ended it."""
    return now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def retry_failed(*, task_ids) -> int:
    """Queue FAILED tasks again (the admin action). Returns how many were queued."""
    ids = list(task_ids)
    with transaction.atomic():
        rows = list(
            BackgroundTask.objects.select_for_update()
            .filter(pk__in=ids, status=Status.FAILED)
            .order_by("pk")
        )
        for row in rows:
            row.status, row.finished_at = Status.QUEUED, None
            row.save(update_fields=["status", "finished_at"])
            transaction.on_commit(
                partial(
                    _dispatch,
                    row.name,
                    row.id,
                    row.kwargs,
                    row.request_id,
                    durable=True,
                    countdown=None,
                )
            )
    return len(rows)


# ---------------------------------------------------------------- running
def _claim(task_id) -> bool:
    """Mark the row RUNNING. False when it already ran (DONE) or another worker runs it now (a
    RUNNING row younger than the hard time limit); True otherwise, also when there is no row
    (periodic tasks, non-durable kicks)."""
    if task_id is None:
        return True
    now = timezone.now()
    won = BackgroundTask.objects.filter(
        Q(status__in=[Status.QUEUED, Status.SENT, Status.FAILED])
        | Q(status=Status.RUNNING, started_at__lt=_orphaned_before(now)),
        pk=task_id,
    ).update(status=Status.RUNNING, started_at=now)
    if won:
        return True
    return not BackgroundTask.objects.filter(pk=task_id).exists()


def _succeeded(name, task_id) -> None:
    metrics.TASKS.labels(name, "success").inc()
    if task_id is not None:
        BackgroundTask.objects.filter(pk=task_id).update(
            status=Status.DONE, finished_at=timezone.now(), last_error=""
        )


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))[-4000:]


def steps_done() -> int:
    """How many steps of the running task earlier attempts completed (0 on a first attempt, and
    outside a task)."""
    run = _running.get()
    if run is None:
        return 0
    if run.done is None:
        stored = None
        if run.task_id is not None:
            stored = (
                BackgroundTask.objects.filter(pk=run.task_id)
                .values_list("progress", "plan")
                .first()
            )
        run.done, run.plan = (stored[0] or 0, stored[1]) if stored else (0, None)
    return run.done


def steps_plan(plan: list) -> list:
    """The steps of the running task: those an earlier attempt planned and stored with its first
    step (`step_done(plan=...)`), else `plan` (what this attempt computed). A task that computes
    its steps from rows (the mails of an order, one per staff member) must resume the plan its
    steps done counted, not a new one: a recipient gone or added since would shift the list and
    skip or repeat mails."""
    done = steps_done()
    run = _running.get()
    if run is None or not done or run.plan is None:
        return plan
    return run.plan


def in_task() -> bool:
    """Whether this code runs inside a background task (a worker's, or one run in this process)."""
    return _running.get() is not None


def step_done(count: int = 1, *, plan: list | None = None) -> None:
    """Record that the running task completed one more step (`count` more), on its row at once:
    if the task fails after this, its retry starts after this step (`steps_done()`). `plan`: the
    steps these count (`steps_plan`), stored in the same write."""
    run = _running.get()
    if run is None:
        return
    run.done = steps_done() + count
    if plan is not None:
        run.plan = plan
    if run.task_id is not None:
        fields: dict = {"progress": run.done}
        if plan is not None:
            fields["plan"] = plan
        BackgroundTask.objects.filter(pk=run.task_id).update(**fields)


def _failed(
    name, task_id, kwargs, exc: BaseException, *, progress: int | None = None, plan=None
) -> None:
    """Record the final failure: the row (created for periodic tasks) becomes FAILED. `progress`:
    the steps done, for a task that ran without a row (they are on the row otherwise)."""
    metrics.TASKS.labels(name, "failure").inc()
    try:
        uid = uuid.UUID(str(task_id)) if task_id else uuid.uuid4()
    except ValueError:
        uid = uuid.uuid4()
    row, _ = BackgroundTask.objects.get_or_create(
        pk=uid,
        defaults={"name": name, "kwargs": kwargs or {}, "request_id": request_id_var.get()},
    )
    row.status, row.finished_at = Status.FAILED, timezone.now()
    row.attempts += 1
    row.last_error = _error_text(exc)
    fields = ["status", "finished_at", "attempts", "last_error"]
    if progress:
        row.progress = progress
        fields.append("progress")
    if progress and plan is not None:
        row.plan = plan
        fields.append("plan")
    row.save(update_fields=fields)


_import_lock = threading.Lock()


def _task(name: str):
    if name not in current_app.tasks:  # web processes: the apps' tasks.py are not imported yet
        # One thread imports them; the others wait for it. Without the lock a second thread saw
        # the modules half-imported, its task not registered yet, and the error escaped from
        # on_commit into a request that had already committed (bench/checkout_race.py: a few
        # checkouts of 1,000 raised "Task of kind 'orders.mail_orders_placed' never registered").
        with _import_lock:
            if name not in current_app.tasks:
                current_app.loader.import_default_modules()
    return current_app.tasks[name]


def run_here(name: str, task_id, kwargs: dict, rid: str = "", *, row: bool = True) -> bool:
    """Run a task in this process, once, recording the outcome on its row. Returns True on
    success. A failure is logged and recorded (FAILED), never raised to the caller. `row=False`:
    the task has no row (queued without a broker): no claim, and a row only if it fails."""
    task = _task(name)
    token = request_id_var.set(rid or request_id_var.get())
    run = _Run(task_id if row else None, None if row else 0)
    run_token = _running.set(run)
    try:
        if row and not _claim(task_id):
            return True
        try:
            task.run(**kwargs)
        except Exception as exc:
            log.exception("task %s %s failed", name, task_id)
            _failed(
                name,
                task_id,
                kwargs,
                exc,
                progress=None if row else run.done,
                plan=None if row else run.plan,
            )
            return False
        _succeeded(name, task_id if row else None)
        return True
    finally:
        _running.reset(run_token)
        request_id_var.reset(token)


class HtxTask(Task):
    """Base class of every HTX task (`@shared_task(base=HtxTask, name=...)`)."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (Exception,)
    dont_autoretry_for = (PermanentError,)
    max_retries = 5
    retry_backoff = 5  # seconds: 5, 10, 20, 40, 80 (with jitter), at most retry_backoff_max
    retry_backoff_max = 600
    retry_jitter = True

    def __call__(self, *args, **kwargs):
        if self.request.called_directly:
            return self.run(*args, **kwargs)
        token = request_id_var.set(getattr(self.request, REQUEST_ID_HEADER, None) or "")
        try:
            try:
                claimed = _claim(self.request.id)
            except Exception as exc:  # the database is away (restart): try again shortly
                raise self.retry(exc=exc, countdown=5) from exc
            if not claimed:
                log.info("task %s %s already done or running: skipped", self.name, self.request.id)
                return None
            run_token = _running.set(_Run(self.request.id))
            try:
                result = self.run(*args, **kwargs)
            finally:
                _running.reset(run_token)
            _succeeded(self.name, self.request.id)
            return result
        finally:
            request_id_var.reset(token)

    def on_retry(self, exc, task_id, args, kwargs, einfo) -> None:
        metrics.TASKS.labels(self.name, "retry").inc()
        log.warning("task %s %s will be retried: %s", self.name, task_id, exc)
        BackgroundTask.objects.filter(pk=task_id).update(
            status=Status.SENT, last_error=_error_text(exc), attempts=_plus_one()
        )

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        log.error("task %s %s failed for good: %s", self.name, task_id, exc)
        _failed(self.name, task_id, kwargs, exc)


def _plus_one():
    from django.db.models import F

    return F("attempts") + 1
