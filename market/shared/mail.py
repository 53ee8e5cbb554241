"""Mail that leaves after the answer: `send_async` queues a plain-text e-mail for after commit and
sends it from a background thread.

Why: the account mails (password reset, "someone signed up with your address") go only to existing
accounts. Sent inline, a real SMTP round-trip (100 ms – seconds) makes the response slower exactly
when the address has an account, so response time would reveal which addresses are registered.
Queued this way, both branches return after the same work; the SMTP conversation happens off the
request path. Mail is never sent for a rolled-back transaction (on_commit).

`MARKET_MAIL_ASYNC=False` (the test default) sends in the on_commit callback instead of a thread.
"""

import logging
import threading

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

log = logging.getLogger("htx.mail")
_pending: set[threading.Thread] = set()
_pending_lock = threading.Lock()


def send_async(*, subject: str, body: str, to: list[str]) -> None:
    """Send `subject`/`body` (already rendered in the recipient's language: the thread has no
    request or active translation) to `to` after the current transaction commits."""
    subject, body, to = str(subject), str(body), list(to)
    transaction.on_commit(lambda: _dispatch(subject, body, to))


def _dispatch(subject: str, body: str, to: list[str]) -> None:
    if not getattr(settings, "MARKET_MAIL_ASYNC", True):
        _send(subject, body, to)
        return
    thread = threading.Thread(
        target=_send_and_forget, args=(subject, body, to), name="htx-mail", daemon=True
    )
    with _pending_lock:
        _pending.add(thread)
    thread.start()


def _send_and_forget(subject: str, body: str, to: list[str]) -> None:
    try:
        _send(subject, body, to)
    finally:
        with _pending_lock:
            _pending.discard(threading.current_thread())


def _send(subject: str, body: str, to: list[str]) -> None:
    try:
        send_mail(subject, body, None, to)
    except Exception:
        log.exception("mail %r to %d recipient(s) failed", subject, len(to))


def wait_for_pending(timeout: float = 10.0) -> int:
    """Join the mail threads still running (tests, and commands that exit right after queueing).
    Returns how many were joined."""
    with _pending_lock:
        threads = list(_pending)
    for thread in threads:
        thread.join(timeout)
    return len(threads)
