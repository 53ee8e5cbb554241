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
