"""Configuration of the delivery channels; the defaults point nowhere, so every channel is off.

A real provider is configured, not coded: its URL, authentication, the JSON request template
(placeholders below) and the fields of its answers and callbacks. ``ChannelsConfig`` is meant
to be mounted into the core settings.

Message placeholders: ``{phone}`` (E.164), ``{phone_digits}`` (E.164 without "+"),
``{phone_national}`` (national number), ``{text}``, ``{subject}``, ``{delivery_id}``,
``{warning_id}``, ``{level}``, ``{language}``, ``{reply_code}``, ``{ack_url}``,
``{callback_url}``, ``{segments}``, ``{timestamp}`` (Unix seconds) and
``{credentials.NAME}`` (a configured secret). A batch template also knows ``{messages}`` (the
list of message bodies), ``{count}`` and ``{batch_id}`` (derived from the delivery ids).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, model_validator

from yingji.warnings.channels._template import placeholders

MESSAGE_PLACEHOLDERS: Final = frozenset(
    {
        "phone", "phone_digits", "phone_national", "text", "subject", "delivery_id",
        "warning_id", "level", "language", "reply_code", "ack_url", "callback_url",
        "segments", "timestamp",
    }
)  # fmt: skip
BATCH_PLACEHOLDERS: Final = frozenset(
    {"messages", "count", "batch_id", "callback_url", "timestamp"}
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResponseFields(_Model):
    """Where a provider's answer keeps the message id and the outcome (dotted paths)."""

    message_id: str | None = Field(default="message_id", description="Provider's message id")
    status: str | None = Field(default=None, description="Outcome code; unset: HTTP status only")
    success_values: list[str] = Field(default_factory=list, description="Codes meaning accepted")
    error: str | None = Field(default=None, description="Human-readable error message")
    retryable_errors: list[str] = Field(
        default_factory=list, description="Codes worth retrying (rate limits); others permanent"
    )

    @model_validator(mode="after")
    def _check_status(self) -> ResponseFields:
        if self.status and not self.success_values:
            raise ValueError("a status field needs the success_values that mean accepted")
        return self


class CallbackSignature(_Model):
    """HMAC-SHA256 over a callback's raw body (``timestamp + "." + body`` with a timestamp)."""

    secret: SecretStr | None = Field(
        default=None, description="Shared secret; unset: every callback refused"
    )
    header: str = "X-Signature"
    timestamp_header: str | None = Field(
        default=None, description="Header with the Unix time signed along; refuses stale calls"
    )
    max_age_seconds: int = Field(default=300, ge=1, le=86_400)
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = Field(default="", description='Text before the digest, e.g. "sha256="')


class DeliveryReportFields(_Model):
    """Fields of a provider's delivery-report callback."""

    items: str | None = Field(
        default=None, description="Path to the list of reports; unset: the body (or its list)"
    )
    message_id: str | None = "message_id"
    reference: str | None = Field(default="reference", description="Our delivery id, echoed")
    recipient: str | None = None
    status: str = "status"
    delivered_values: list[str] = Field(default_factory=lambda: ["delivered"])
    pending_values: list[str] = Field(
        default_factory=list, description="Interim states, reported as sent"
    )
    error: str | None = "error"
    time: str | None = None


class ReplyFields(_Model):
    """Fields of an inbound-SMS callback."""

    items: str | None = None
    phone: str = "from"
    text: str = "text"
    time: str | None = None


class KeyPressFields(_Model):
    """Fields of a voice call's key-press callback."""

    items: str | None = None
    call_id: str | None = "call_id"
    reference: str | None = "reference"
    digits: str = "digits"
    time: str | None = None


_DEFAULT_BODY: Final = {
    "to": "{phone}",
    "text": "{text}",
    "reference": "{delivery_id}",
    "callback_url": "{callback_url}",
}


class HttpProviderConfig(_Model):
    """An HTTP messaging gateway (SMS or voice): requests out, callbacks in."""

    url: HttpUrl | None = Field(default=None, description="Send endpoint; unset: disabled")
    method: Literal["POST", "PUT"] = "POST"
    auth_header: str = "Authorization"
    auth_token: SecretStr | None = Field(default=None, description='Sent as is ("Bearer …")')
    headers: dict[str, str] = Field(default_factory=dict, description="Further fixed headers")
    credentials: dict[str, SecretStr] = Field(
        default_factory=dict, description="Secrets for {credentials.NAME} in the templates"
    )
    body_format: Literal["json", "form"] = "json"
    body_template: dict[str, Any] = Field(default_factory=lambda: dict(_DEFAULT_BODY))
    callback_url: str | None = Field(
        default=None, description="Our report endpoint; may contain {delivery_id}"
    )
    idempotency_header: str | None = Field(
        default=None, description="Header carrying the delivery (or batch) id, if honoured"
    )
    response: ResponseFields = Field(default_factory=ResponseFields)
    batch_size: int = Field(default=1, ge=1, le=1000, description=">1: the provider's batch API")
    batch_template: dict[str, Any] | None = None
    batch_results: str | None = Field(
        default=None, description="Path to per-message results; unset: one id for the batch"
    )
    batch_item_response: ResponseFields = Field(default_factory=ResponseFields)
    connect_timeout: float = Field(default=3.0, gt=0, le=60)
    timeout: float = Field(default=10.0, gt=0, le=120)
    concurrency: int = Field(default=8, ge=1, le=64, description="Parallel requests")
    callback_format: Literal["json", "form"] = "json"
    callback_timezone: str = Field(
        default="Asia/Shanghai", description="Zone of callback times given without one"
    )
    default_region: str = Field(default="CN", description="Region of phones without +country")
    signature: CallbackSignature = Field(default_factory=CallbackSignature)
    reports: DeliveryReportFields = Field(default_factory=DeliveryReportFields)

    @property
    def configured(self) -> bool:
        """Whether a send endpoint is set."""
        return self.url is not None

    @model_validator(mode="after")
    def _check_templates(self) -> HttpProviderConfig:
        secrets = {f"credentials.{name}" for name in self.credentials}
        unknown = placeholders(self.body_template) - MESSAGE_PLACEHOLDERS - secrets
        if unknown:
            raise ValueError(f"body_template: unknown placeholders {sorted(unknown)}")
        if self.body_format == "form" and any(
            not isinstance(v, str) for v in self.body_template.values()
        ):
            raise ValueError("body_template: a form body takes only text fields")
        if self.batch_size > 1:
            if self.batch_template is None or self.body_format != "json":
                raise ValueError("batch_size > 1 needs a JSON batch_template")
            used = placeholders(self.batch_template)
            if "messages" not in used:
                raise ValueError("batch_template: needs the {messages} placeholder")
            unknown = used - BATCH_PLACEHOLDERS - secrets
            if unknown:
                raise ValueError(f"batch_template: unknown placeholders {sorted(unknown)}")
        try:
            ZoneInfo(self.callback_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"callback_timezone: unknown zone {self.callback_timezone}") from exc
        return self


class SmsConfig(HttpProviderConfig):
    """The SMS gateway, with its inbound-reply callback."""

    max_segments: int = Field(default=4, ge=1, le=10, description="Refuse longer texts")
    replies: ReplyFields = Field(default_factory=ReplyFields)


class VoiceConfig(HttpProviderConfig):
    """The voice-call (text-to-speech) gateway, with its key-press callback."""

    ack_digits: list[str] = Field(default_factory=lambda: ["1"], description="Keys = 收到")
    key_presses: KeyPressFields = Field(default_factory=KeyPressFields)


class SmtpConfig(_Model):
    """The outgoing mail server."""

    host: str | None = Field(default=None, description="Unset: email is disabled")
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    from_address: str | None = None
    from_name: str | None = None
    starttls: bool = True
    use_ssl: bool = Field(default=False, description="Implicit TLS (port 465) instead")
    ca_file: Path | None = Field(default=None, description="CA bundle of a private mail server")
    timeout: float = Field(default=10.0, gt=0, le=120)
    connections: int = Field(default=2, ge=1, le=16, description="Parallel SMTP sessions")
    messages_per_connection: int = Field(default=100, ge=1, le=10_000)

    @property
    def configured(self) -> bool:
        """Whether a server and a sender are set."""
        return bool(self.host and self.from_address)


class WebhookConfig(_Model):
    """Subscriber webhooks: signed JSON POSTs."""

    secret: SecretStr | None = Field(default=None, description="Signs payloads; unset: disabled")
    signature_header: str = "X-Yingji-Signature"
    timestamp_header: str = "X-Yingji-Timestamp"
    delivery_header: str = "X-Yingji-Delivery"
    connect_timeout: float = Field(default=3.0, gt=0, le=60)
    timeout: float = Field(default=10.0, gt=0, le=120)
    concurrency: int = Field(default=8, ge=1, le=64)

    @property
    def configured(self) -> bool:
        """Whether a signing secret is set (unsigned webhooks are never sent)."""
        return self.secret is not None and bool(self.secret.get_secret_value())


class ChannelsConfig(_Model):
    """All delivery channels."""

    sms: SmsConfig = Field(default_factory=SmsConfig)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
