"""The email adapter against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from tests.warnings.channels.conftest import Mailbox, MailServer, free_port
from tests.warnings.channels.factories import ZH_TEXT, delivery
from yingji.warnings.channels import (
    NOT_CONFIGURED,
    ChannelName,
    EmailChannel,
    ReceiptStatus,
    SmtpConfig,
    WarningLevel,
)

EMAIL = ChannelName.EMAIL


def smtp_config(mailbox: Mailbox, **overrides: Any) -> SmtpConfig:
    """Return a configuration for the local server (plain SMTP unless told otherwise)."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": mailbox.port,
        "from_address": "alerts@yj.example.cn",
        "from_name": "西陵区应急管理局",
        "starttls": False,
        "timeout": 5.0,
    }
    return SmtpConfig(**(values | overrides))


def parsed(mailbox: Mailbox) -> list[EmailMessage]:
    """Return the accepted messages, parsed."""
    return [
        message_from_bytes(e.original_content or b"", policy=default) for e in mailbox.envelopes
    ]


def test_utf8_mail_arrives_intact_and_is_receipted_sent(mail_server: MailServer) -> None:
    mailbox = mail_server()
    deliveries = [delivery(1, channel=EMAIL), delivery(2, channel=EMAIL, level=WarningLevel.BLUE)]
    receipts = EmailChannel(smtp_config(mailbox)).send_many(deliveries)

    assert [(r.delivery_id, r.status, r.channel) for r in receipts] == [
        ("d-1", ReceiptStatus.SENT, EMAIL),
        ("d-2", ReceiptStatus.SENT, EMAIL),
    ]
    assert [r.provider_message_id for r in receipts] == [
        "<d-1@yj.example.cn>",
        "<d-2@yj.example.cn>",
    ]
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["duty1@example.cn"], ["duty2@example.cn"]]
    assert {e.mail_from for e in mailbox.envelopes} == {"alerts@yj.example.cn"}
    first, second = parsed(mailbox)
    assert first["Subject"] == "【红色预警】西陵区暴雨"
    assert first.get_content().rstrip("\n") == ZH_TEXT
    assert first["From"].addresses[0].display_name == "西陵区应急管理局"
    assert first["Message-ID"] == "<d-1@yj.example.cn>"
    assert first["X-Yingji-Delivery"] == "d-1"
    assert first["Content-Language"] == "zh-CN"
    assert first["Importance"] == "high" and second["Importance"] is None
    raw = mailbox.envelopes[0].original_content or b""
    assert raw.isascii()  # encoded for any server: base64 body, RFC 2047 subject


def test_a_refused_recipient_fails_alone(mail_server: MailServer) -> None:
    mailbox = mail_server()
    deliveries = [
        delivery(1, channel=EMAIL),
        delivery(2, channel=EMAIL, recipient="refused@example.cn"),
        delivery(3, channel=EMAIL, recipient="busy@example.cn"),
        delivery(4, channel=EMAIL, recipient="not-an-address"),
        delivery(5, channel=EMAIL),
    ]
    receipts = EmailChannel(smtp_config(mailbox)).send_many(deliveries)

    assert [r.status for r in receipts] == [
        ReceiptStatus.SENT,
        ReceiptStatus.FAILED,
        ReceiptStatus.FAILED,
        ReceiptStatus.FAILED,
        ReceiptStatus.SENT,
    ]
    assert receipts[1].reason == "recipient refused: 550 5.1.1 mailbox unavailable"
    assert receipts[1].retryable is False
    assert receipts[2].reason == "recipient refused: 451 4.3.0 try again later"
    assert receipts[2].retryable is True
    assert receipts[3].reason == "invalid email address: 'not-an-address'"
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["duty1@example.cn"], ["duty5@example.cn"]]
    assert len(mailbox.sessions) == 1  # one session carried all of them


def test_a_dropped_session_is_reopened_for_the_rest(mail_server: MailServer) -> None:
    mailbox = mail_server()
    deliveries = [
        delivery(1, channel=EMAIL),
        delivery(2, channel=EMAIL, recipient="drop@example.cn"),
        delivery(3, channel=EMAIL),
    ]
    receipts = EmailChannel(smtp_config(mailbox)).send_many(deliveries)

    assert [r.status for r in receipts] == [
        ReceiptStatus.SENT,
        ReceiptStatus.FAILED,
        ReceiptStatus.SENT,
    ]
    assert receipts[1].retryable and (receipts[1].reason or "").startswith("SMTP session lost")
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["duty1@example.cn"], ["duty3@example.cn"]]
    assert len(mailbox.sessions) == 2


def test_many_messages_share_few_sessions(mail_server: MailServer) -> None:
    mailbox = mail_server()
    config = smtp_config(mailbox, messages_per_connection=3, connections=2)
    receipts = EmailChannel(config).send_many([delivery(n, channel=EMAIL) for n in range(1, 8)])

    assert [r.delivery_id for r in receipts] == [f"d-{n}" for n in range(1, 8)]
    assert all(r.status is ReceiptStatus.SENT for r in receipts)
    assert len(mailbox.envelopes) == 7
    assert len(mailbox.sessions) == 3  # 3 + 3 + 1 messages


def test_login(mail_server: MailServer) -> None:
    mailbox = mail_server(auth=True)
    good = smtp_config(mailbox, username="duty", password=SecretStr("s3cret"))
    bad = smtp_config(mailbox, username="duty", password=SecretStr("wrong"))

    [sent] = EmailChannel(good).send_many([delivery(1, channel=EMAIL)])
    refused = EmailChannel(bad).send_many([delivery(2, channel=EMAIL), delivery(3, channel=EMAIL)])

    assert sent.status is ReceiptStatus.SENT
    assert [(r.status, r.reason, r.retryable) for r in refused] == [
        (ReceiptStatus.FAILED, "authentication failed: 535", False)
    ] * 2
    assert len(mailbox.envelopes) == 1


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_with_a_private_ca(mail_server: MailServer, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = mail_server(tls_context=context, require_starttls=True)

    [sent] = EmailChannel(smtp_config(mailbox, starttls=True, ca_file=cert)).send_many(
        [delivery(1, channel=EMAIL)]
    )
    [untrusted] = EmailChannel(smtp_config(mailbox, starttls=True)).send_many(
        [delivery(2, channel=EMAIL)]
    )
    [plain] = EmailChannel(smtp_config(mailbox)).send_many([delivery(3, channel=EMAIL)])

    assert sent.status is ReceiptStatus.SENT
    assert untrusted.failed and not untrusted.retryable
    assert (untrusted.reason or "").startswith("TLS certificate refused")
    assert plain.failed  # the server insists on STARTTLS
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["duty1@example.cn"]]


def test_unreachable_server_fails_every_message_retryably() -> None:
    config = SmtpConfig(host="127.0.0.1", port=free_port(), from_address="a@yj.example.cn")
    receipts = EmailChannel(config).send_many([delivery(n, channel=EMAIL) for n in (1, 2)])

    assert all(r.failed and r.retryable for r in receipts)
    assert (receipts[0].reason or "").startswith(f"cannot connect to 127.0.0.1:{config.port}")


def test_server_without_starttls_is_a_permanent_failure(mail_server: MailServer) -> None:
    mailbox = mail_server()
    [receipt] = EmailChannel(smtp_config(mailbox, starttls=True)).send_many(
        [delivery(1, channel=EMAIL)]
    )
    assert (receipt.reason, receipt.retryable) == ("server does not offer STARTTLS", False)


def test_unconfigured_email_fails_clearly() -> None:
    [receipt] = EmailChannel(SmtpConfig()).send_many([delivery(1, channel=EMAIL)])
    assert (receipt.status, receipt.reason) == (ReceiptStatus.FAILED, NOT_CONFIGURED)
