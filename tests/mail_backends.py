"""A mail server that refuses a message once, for the worker tests (the SMTP server is the process
boundary we cannot reach in tests): Django's file backend, except that the first message to an
address starting with "fail-once" fails as a dropped SMTP connection; the next attempt goes
through. A marker file per address remembers the failure across worker processes."""

import smtplib
from pathlib import Path

from django.core.mail.backends import filebased


class FailOnceFileBackend(filebased.EmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            for address in message.to:
                marker = Path(self.file_path) / f".refused-{address}"
                if address.startswith("fail-once") and not marker.exists():
                    marker.touch()
                    raise smtplib.SMTPServerDisconnected(f"connection dropped sending to {address}")
        return super().send_messages(email_messages)


class RefusingFileBackend(filebased.EmailBackend):
    """A mail server that refuses every address starting with "no-such" for good (550), as one
    refuses a mailbox that does not exist; other mails are written as files."""

    def send_messages(self, email_messages):
        for message in email_messages:
            refused = {
                a: (550, b"5.1.1 no such mailbox") for a in message.to if a.startswith("no-such")
            }
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
        return super().send_messages(email_messages)


class WorkerDied(BaseException):
    """What a worker killed mid-task looks like to the task: nothing after it runs (not an
    Exception: no handler of the task's catches it)."""


class DiesOnceFileBackend(filebased.EmailBackend):
    """The worker dies (WorkerDied) the first time it sends to an address starting with "dies";
    a marker file remembers it, so the redelivered task's attempt goes through."""

    def send_messages(self, email_messages):
        for message in email_messages:
            for address in message.to:
                marker = Path(self.file_path) / f".died-{address}"
                if address.startswith("dies") and not marker.exists():
                    marker.touch()
                    raise WorkerDied(f"worker killed while sending to {address}")
        return super().send_messages(email_messages)
