"""Email over SMTP: many messages per session, a receipt per recipient.

A message is "sent" when the server answers 250 to its DATA; a recipient the server refuses
fails alone (4xx retryable, 5xx permanent) and the session goes on with the next message. The
Message-ID is derived from the delivery id, so a resent message can be recognised downstream.
Bodies are UTF-8 (base64), subjects RFC 2047-encoded, so Chinese text arrives intact whatever
the server supports.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import formataddr, formatdate
from typing import ClassVar, Final

from yingji.warnings.channels.base import (
    BaseChannel,
    ChannelName,
    Delivery,
    Receipt,
    ReceiptStatus,
    WarningLevel,
    failed_receipt,
    utcnow,
)
from yingji.warnings.channels.config import SmtpConfig

log = logging.getLogger(__name__)
_ADDRESS: Final = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
_UNSAFE_ID: Final = re.compile(r"[^A-Za-z0-9._-]")
_URGENT: Final = frozenset({WarningLevel.RED, WarningLevel.ORANGE})


class _SessionLost(Exception):
    """The SMTP connection broke; the message's fate is unknown."""


class _SessionFailed(Exception):
    """No usable SMTP session could be opened."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


def _reply_failure(stage: str, code: int, reply: bytes | str) -> tuple[str, bool]:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{stage} refused: {code} {text}".strip(), 400 <= code < 500


class EmailChannel(BaseChannel):
    """Send deliveries as email through the configured SMTP server."""

    name: ClassVar[ChannelName] = ChannelName.EMAIL

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._domain = (config.from_address or "@localhost").rpartition("@")[2] or "localhost"

    @property
    def configured(self) -> bool:
        """Whether a server and a sender address are set."""
        return self.config.configured

    def message(self, delivery: Delivery) -> EmailMessage:
        """Return the email of a delivery."""
        msg = EmailMessage()
        sender = self.config.from_address or ""
        msg["From"] = (
            formataddr((self.config.from_name, sender)) if self.config.from_name else sender
        )
        msg["To"] = delivery.recipient
        msg["Subject"] = " ".join(delivery.subject.split())  # no header injection, no folding
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = f"<{_UNSAFE_ID.sub('_', delivery.delivery_id)}@{self._domain}>"
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Yingji-Delivery"] = delivery.delivery_id
        msg["X-Yingji-Warning"] = delivery.warning_id
        if delivery.level in _URGENT:
            msg["Importance"] = "high"
            msg["X-Priority"] = "1"
        msg.set_content(delivery.text, charset="utf-8", cte="base64")  # clears Content-*
        msg["Content-Language"] = "zh-CN" if delivery.language == "zh" else "en"
        return msg

    def _ssl_context(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def _open(self) -> smtplib.SMTP:
        config, host = self.config, self.config.host or ""
        try:
            smtp: smtplib.SMTP
            if config.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    host, config.port, timeout=config.timeout, context=self._ssl_context()
                )
            else:
                smtp = smtplib.SMTP(host, config.port, timeout=config.timeout)
        except ssl.SSLCertVerificationError as exc:
            raise _SessionFailed(f"TLS certificate refused: {exc}", retryable=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise _SessionFailed(
                f"cannot connect to {host}:{config.port}: {exc}", retryable=True
            ) from exc
        try:
            smtp.ehlo()
            if config.starttls and not config.use_ssl:
                if not smtp.has_extn("starttls"):
                    raise _SessionFailed("server does not offer STARTTLS", retryable=False)
                smtp.starttls(context=self._ssl_context())
                smtp.ehlo()
            if config.username:
                password = config.password.get_secret_value() if config.password else ""
                smtp.login(config.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            _quit(smtp)
            raise _SessionFailed(
                f"authentication failed: {exc.smtp_code}", retryable=False
            ) from exc
        except ssl.SSLCertVerificationError as exc:  # a configuration problem, not a glitch
            _quit(smtp)
            raise _SessionFailed(f"TLS certificate refused: {exc}", retryable=False) from exc
        except smtplib.SMTPNotSupportedError as exc:
            _quit(smtp)
            raise _SessionFailed(f"server does not support: {exc}", retryable=False) from exc
        except (OSError, smtplib.SMTPException) as exc:  # other ssl.SSLErrors are OSErrors too
            _quit(smtp)
            raise _SessionFailed(f"session setup failed: {exc}", retryable=True) from exc
        except _SessionFailed:
            _quit(smtp)
            raise
        return smtp

    def _send_unique(self, deliveries: list[Delivery]) -> list[Receipt]:
        size = self.config.messages_per_connection
        chunks = [deliveries[i : i + size] for i in range(0, len(deliveries), size)]
        workers = min(self.config.connections, len(chunks))
        if workers == 1:
            results = [self._send_chunk(chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="yingji-smtp") as pool:
                results = list(pool.map(self._send_chunk, chunks))
        return [receipt for chunk in results for receipt in chunk]

    def _send_chunk(self, chunk: list[Delivery]) -> list[Receipt]:
        """Send a chunk over one session, reopening it once if the server drops it."""
        receipts: list[Receipt] = []
        pending = list(chunk)
        reopened = False
        while pending:
            try:
                smtp = self._open()
            except _SessionFailed as exc:
                receipts += [
                    failed_receipt(d, exc.reason, retryable=exc.retryable) for d in pending
                ]
                break
            try:
                while pending:
                    receipts.append(self._attempt(smtp, pending[0]))
                    pending.pop(0)
            except _SessionLost as exc:
                receipts.append(failed_receipt(pending.pop(0), str(exc), retryable=True))
                if reopened:
                    reason = "SMTP session lost twice"
                    receipts += [failed_receipt(d, reason, retryable=True) for d in pending]
                    break
                reopened = True
            finally:
                _quit(smtp)
        return receipts

    def _attempt(self, smtp: smtplib.SMTP, delivery: Delivery) -> Receipt:
        """Send one message; a bug fails this message alone (``_SessionLost`` passes)."""
        try:
            return self._send_one(smtp, delivery)
        except _SessionLost:
            raise
        except Exception as exc:  # keep the session's other messages going
            log.exception("email %s failed", delivery.delivery_id)
            _reset(smtp)
            reason = f"internal error: {type(exc).__name__}: {exc}"
            return failed_receipt(delivery, reason, retryable=False)

    def _send_one(self, smtp: smtplib.SMTP, delivery: Delivery) -> Receipt:
        """Send one message on an open session; raise ``_SessionLost`` if the session breaks."""
        if not _ADDRESS.fullmatch(delivery.recipient):
            return failed_receipt(
                delivery, f"invalid email address: {delivery.recipient!r}", retryable=False
            )
        try:
            msg = self.message(delivery)
            needs_utf8 = not (delivery.recipient + (self.config.from_address or "")).isascii()
            if needs_utf8 and not smtp.has_extn("smtputf8"):
                return failed_receipt(
                    delivery, "non-ASCII address but no SMTPUTF8 on the server", retryable=False
                )
            data = msg.as_bytes(policy=SMTPUTF8 if needs_utf8 else SMTP)
        except (ValueError, TypeError) as exc:
            return failed_receipt(delivery, f"cannot build the message: {exc}", retryable=False)
        options = ["SMTPUTF8"] if needs_utf8 else []
        steps: list[tuple[str, Callable[[], tuple[int, bytes]], tuple[int, ...]]] = [
            ("sender", lambda: smtp.mail(self.config.from_address or "", options), (250,)),
            ("recipient", lambda: smtp.rcpt(delivery.recipient), (250, 251)),
            ("message", lambda: smtp.data(data), (250,)),
        ]
        try:
            for stage, step, accepted in steps:
                code, reply = step()
                if code not in accepted:
                    reason, retryable = _reply_failure(stage, code, reply)
                    _reset(smtp)
                    return failed_receipt(delivery, reason, retryable=retryable)
        except smtplib.SMTPResponseException as exc:  # e.g. DATA refused before the body
            reason, retryable = _reply_failure("message", exc.smtp_code, exc.smtp_error)
            _reset(smtp)
            return failed_receipt(delivery, reason, retryable=retryable)
        except (OSError, smtplib.SMTPException) as exc:  # disconnected, timed out …
            raise _SessionLost(f"SMTP session lost: {exc}") from exc
        return Receipt(
            delivery_id=delivery.delivery_id,
            channel=self.name,
            status=ReceiptStatus.SENT,
            at=utcnow(),
            provider_message_id=str(msg["Message-ID"]),
        )


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        log.debug("SMTP RSET failed", exc_info=True)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
