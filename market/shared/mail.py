"""The one way to send an e-mail: `mail_queue`.

    with translation.override(user.language):       # when formatting with % needs the language
        subject = _("Order %(code)s") % {...}
    mail_queue(to=[user.email], language=user.language, subject=subject, body=body)

- Language: the text is rendered in `language` (the recipient's; lazy strings are rendered here,
  under that language) before it is queued: the worker has no request and no active language.
- After commit: the mail is a background task (`market.send_mail`) queued with
  `market.background.enqueue`, so a rolled-back transaction never mails anyone.
- Failure: the task raises on an SMTP error, is retried with backoff and ends as a FAILED
  background task that admins can retry; the change that caused the mail is never undone.
- Off the request: with a broker the SMTP conversation happens in a worker, so response times do
  not depend on whether an address has an account (account mails go only to existing accounts).
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation

from market.background import enqueue


def mail_queue(
    *, to: str | Iterable[str], language: str | None, subject: object, body: object
) -> str:
    """Queue a plain-text e-mail to `to` (an address or a list) for after commit. Returns the
    background task id."""
    recipients = [to] if isinstance(to, str) else list(to)
    with translation.override(language or settings.LANGUAGE_CODE):
        subject, body = str(subject), str(body)
    subject = " ".join(subject.splitlines())  # a header: one line
    return enqueue("market.send_mail", to=recipients, subject=subject, body=body)
