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
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation

from market.background import enqueue


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
