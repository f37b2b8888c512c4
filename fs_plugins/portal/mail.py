"""Sending mail through the machine's MTA, as FreeSWITCH's mod_voicemail does (`sendmail -t`).

Nothing here speaks SMTP: whatever the machine's MTA is (exim, postfix, msmtp) already knows the
relay, the credentials and the retries. The message's recipients are read from its headers (-t);
-i keeps a line with a lone dot from ending the message early.
"""
from __future__ import annotations

import logging
import subprocess
from email.message import EmailMessage

from fs_plugins.config import Config

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30


class MailNotSent(RuntimeError):
    pass


def message(config: Config, to: str, subject: str, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = config.mail_from
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    return mail


def send(config: Config, mail: EmailMessage) -> None:
    """Hand the message to `<sendmail_path> -t -i`; MailNotSent if the MTA is missing or refuses it."""
    try:
        done = subprocess.run([config.sendmail_path, "-t", "-i"], input=mail.as_bytes(), capture_output=True,
                              timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MailNotSent(f"{config.sendmail_path}: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()[:300]
        raise MailNotSent(f"{config.sendmail_path} exited {done.returncode}: {detail}")
