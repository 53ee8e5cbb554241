"""The one way to send e-mail: `mail_queue` (one mail) and `mail_queue_many` (several at once).

    with translation.override(user.language):       # when formatting with % needs the language
        subject = _("Order %(code)s") % {...}
    mail_queue(to=[user.email], language=user.language, subject=subject, body=body)

    mail_queue_many([mail_compose(to=..., language=..., subject=..., body=...), ...])

- Language: the text is rendered in `language` (the recipient's; lazy strings are rendered here,
  under that language) before it is queued: the worker has no request and no active language.
- After commit: the mails are one background task (`market.send_mails`) queued with
  `market.background.enqueue`, so a rolled-back transaction never mails anyone.
- Together: the mails queued in one call (e.g. every mail of one checkout: the buyer's and each
  cooperative's staff's) are sent by one task over one connection to the mail server, not one
  task each (a task costs more than sending a mail: its row, its claim, the broker round trip).
- Failure: an SMTP error raises; the task is retried with backoff and resumes with the first mail
  not sent (each sent mail is recorded on the task's row), so nobody gets a mail twice; a batch
  that keeps failing ends as a FAILED background task that admins can retry. The change that
  caused the mail is never undone.
- Off the request: with a broker the SMTP conversation happens in a worker, so response times do
  not depend on whether an address has an account (account mails go only to existing accounts).
- From a task that composes them (`mail_send_here`, the order mails): a background task whose
  work is composing mails sends them itself, as its own steps, instead of queueing a second task
  for them (under load, each checkout's second task cost the worker and the database more than
  the sending); if the mail server fails, the mails not sent yet are queued as above.
"""

import logging
import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation

from market.background import (
    PermanentError,
    enqueue,
    in_task,
    step_done,
    steps_done,
    steps_plan,
)

log = logging.getLogger("htx.mail")


def mail_compose(
    *, to: str | Iterable[str], language: str | None, subject: object, body: object
) -> dict:
    """One plain-text mail, rendered in `language`, as the JSON `market.send_mails` sends."""
    recipients = [to] if isinstance(to, str) else list(to)
    with translation.override(language or settings.LANGUAGE_CODE):
        subject, body = str(subject), str(body)
    subject = " ".join(subject.splitlines())  # a header: one line
    return {"to": recipients, "subject": subject, "body": body}


def mail_queue_many(messages: Iterable[dict]) -> str | None:
    """Queue mails of `mail_compose` for after commit, all in one task. Returns the background
    task id (None when there is nothing to send)."""
    messages = list(messages)
    return enqueue("market.send_mails", messages=messages) if messages else None


def mail_queue(
    *, to: str | Iterable[str], language: str | None, subject: object, body: object
) -> str:
    """Queue a plain-text e-mail to `to` (an address or a list) for after commit. Returns the
    background task id."""
    message = mail_compose(to=to, language=language, subject=subject, body=body)
    return enqueue("market.send_mails", messages=[message])


def mail_send_here(messages: Iterable[dict]) -> int:
    """Send mails of `mail_compose` from the running background task, each a step of it; outside a
    task, queue them (`mail_queue_many`). For a task whose work is composing these mails: the
    mails are stored on the task's row with the first one sent (`steps_plan`), so a redelivery
    (a worker that died) or an admin's retry sends the rest of those same mails, starting with
    the first one not sent, whatever changed since: nobody gets one twice or loses one. When the
    mail server fails, the mails not sent yet are queued as one `market.send_mails` task (retried
    with backoff) and counted as steps done here in the same transaction, so this task never
    sends them. A mail refused for good is passed over; the task then ends FAILED naming it
    (PermanentError). Returns how many mails were handled."""
    messages = list(messages)
    if not in_task():
        mail_queue_many(messages)
        return len(messages)
    # A retry sends the rest of the mails its first attempt composed (stored with the first one
    # sent), not of those composed again now: a staff member gone since would shift the list.
    messages = steps_plan(messages)
    start = steps_done()
    try:
        refused = mail_send_steps(messages, keep_plan=True)
    except Exception as exc:  # the server's or our setup's state: the sending task retries
        rest = messages[steps_done() :]
        log.warning("mail server failed (%s); %d mails queued to send later", exc, len(rest))
        with transaction.atomic():
            mail_queue_many(rest)
            step_done(len(rest), plan=messages)
        return max(len(messages) - start, 0)
    if refused:
        raise PermanentError(
            f"the mail server refused {', '.join(refused)} for good; the other mails were sent"
        )
    return max(len(messages) - start, 0)


def mail_send_steps(messages: list[dict], *, keep_plan: bool = False) -> list[str]:
    """Send `messages` over one connection from the running background task, starting with the
    first one its earlier attempts did not send, each mail a step of the task (`step_done`). A
    mail the server refuses for good (an address that does not exist) is passed over, never
    holding back the ones after it: returns those addresses. Any other failure raises (the mails
    sent before it are counted in `steps_done()`). `keep_plan`: store `messages` on the task's
    row with the first mail sent (`steps_plan`), for a task that composed them itself."""
    refused: list[str] = []
    start = steps_done()
    if start >= len(messages):
        return refused
    with get_connection(fail_silently=False) as connection:
        for message in messages[start:]:
            try:
                EmailMessage(
                    message["subject"], message["body"], None, message["to"], connection=connection
                ).send()
            except smtplib.SMTPException as exc:
                if not _refused_for_good(exc):
                    raise
                log.warning("mail to %s refused for good: %s", message["to"], exc)
                refused += message["to"]
            step_done(plan=messages if keep_plan and steps_done() == 0 else None)
    return refused


def _refused_for_good(exc: smtplib.SMTPException) -> bool:
    """The server refused this one mail for good (5xx for its recipients or its content): another
    attempt would fail the same way. A refused sender, a dropped connection or a 4xx is the
    server's or our setup's state, and is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return (
        isinstance(exc, smtplib.SMTPResponseException)
        and not isinstance(exc, smtplib.SMTPSenderRefused)
        and exc.smtp_code >= 500
    )
