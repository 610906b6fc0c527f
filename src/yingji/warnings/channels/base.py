"""The one interface of every delivery channel: a delivery request in, a receipt out.

A receipt says what became of a message (sent, delivered, failed); it never says that the
person acknowledged the warning (叫应). Acknowledgements arrive separately, as a ``Reply``
(SMS), a ``KeyPress`` (voice) or a visit to the signed link, and the caller matches them.

``BaseChannel.send_many`` is the safety net shared by the adapters: one receipt per delivery,
in the order given, whatever happens inside (no exception reaches the caller, nothing is lost),
a delivery id asked for twice in one call is sent once, and a channel without configuration
fails every delivery with "channel not configured".
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType
from typing import ClassVar, Final, Literal, Protocol, Self, runtime_checkable

log = logging.getLogger(__name__)

Language = Literal["zh", "en"]
NOT_CONFIGURED: Final = "channel not configured"

# GSM 03.38: the default alphabet (one septet) and its extension table (two septets).
_GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED: Final = frozenset("^{}\\[~]|€\f")


class ChannelName(StrEnum):
    """The ways a warning reaches a person, in the order of the usual ladder."""

    INAPP = "inapp"
    SMS = "sms"
    VOICE = "voice"
    EMAIL = "email"
    WEBHOOK = "webhook"


class WarningLevel(StrEnum):
    """The four warning levels (预警级别), most severe first."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


class ReceiptStatus(StrEnum):
    """What became of a message; deliberately has no "acknowledged"."""

    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One message to one person over one channel.

    ``delivery_id`` is the idempotency key: adapters pass it to the provider (as reference,
    idempotency header or Message-ID) so that asking twice never produces two messages where
    the provider deduplicates.
    """

    delivery_id: str
    channel: ChannelName
    recipient: str  # E.164 phone (sms, voice), address (email), URL (webhook), user id (inapp)
    text: str
    warning_id: str
    level: WarningLevel
    language: Language = "zh"
    subject: str = ""
    ack_url: str | None = None
    reply_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """What a channel (or later a provider's report) says about one delivery."""

    delivery_id: str
    channel: ChannelName
    status: ReceiptStatus
    at: datetime
    provider_message_id: str | None = None
    reason: str | None = None
    # Only meaningful for failures: True when trying again later on this channel may succeed
    # (timeouts, rate limits, 5xx, refused connections); False for what would fail again.
    retryable: bool = False
    segments: int | None = None  # SMS segments billed for the text
    latency_ms: float | None = None  # of the provider request that carried the delivery

    @property
    def failed(self) -> bool:
        """Whether the delivery failed."""
        return self.status is ReceiptStatus.FAILED


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    """A provider's later report on a message (delivered to the handset, call answered, ...).

    Providers identify the message by their own id, by our delivery id (when they echo the
    reference we sent), or both; the caller looks the delivery up by whichever is present.
    """

    channel: ChannelName
    status: ReceiptStatus
    at: datetime
    provider_message_id: str | None = None
    delivery_id: str | None = None
    recipient: str | None = None
    reason: str | None = None

    def receipt(self, delivery_id: str | None = None) -> Receipt:
        """Return the report as a receipt of a delivery (default: the id the report carries)."""
        found = delivery_id or self.delivery_id
        if not found:
            raise ValueError("the report names no delivery id; pass the one looked up")
        return Receipt(
            delivery_id=found,
            channel=self.channel,
            status=self.status,
            at=self.at,
            provider_message_id=self.provider_message_id,
            reason=self.reason,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """An inbound SMS from a person; ``codes`` are the reply codes found in the text."""

    phone: str  # E.164 when it could be normalised, else as the provider sent it
    text: str
    received_at: datetime
    codes: tuple[str, ...] = ()

    @property
    def code(self) -> str | None:
        """Return the first reply code in the text, if any."""
        return self.codes[0] if self.codes else None


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPress:
    """Keys a person pressed during a warning call; ``acknowledges`` if an ack key was pressed."""

    call_id: str | None
    delivery_id: str | None
    digits: str
    acknowledges: bool
    pressed_at: datetime


def sms_segments(text: str) -> int:
    """Return how many SMS segments a text needs (GSM 7-bit 160/153, else UCS-2 70/67).

    Chinese text is always UCS-2: 70 characters fit one message, longer texts are sent as
    67-character segments (characters outside the BMP count twice).
    """
    if not text:
        return 0
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        septets = len(text) + sum(ch in _GSM_EXTENDED for ch in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def failed_receipt(
    delivery: Delivery,
    reason: str,
    *,
    retryable: bool,
    channel: ChannelName | None = None,
    segments: int | None = None,
    latency_ms: float | None = None,
) -> Receipt:
    """Return a failed receipt for a delivery."""
    return Receipt(
        delivery_id=delivery.delivery_id,
        channel=channel or delivery.channel,
        status=ReceiptStatus.FAILED,
        at=utcnow(),
        reason=reason,
        retryable=retryable,
        segments=segments,
        latency_ms=latency_ms,
    )


@runtime_checkable
class Channel(Protocol):
    """What the warning ladder calls: one batch of deliveries in, one receipt each out."""

    @property
    def name(self) -> ChannelName:
        """The channel's name."""
        ...

    @property
    def configured(self) -> bool:
        """Whether the channel can send at all."""
        ...

    def send_many(self, deliveries: Sequence[Delivery]) -> list[Receipt]:
        """Send deliveries; return one receipt per delivery, in order, never raising."""
        ...

    def close(self) -> None:
        """Release connections and threads."""
        ...


class BaseChannel(ABC):
    """Shared behaviour of the adapters; subclasses implement ``_send_unique``."""

    name: ClassVar[ChannelName]

    @property
    @abstractmethod
    def configured(self) -> bool:
        """Whether the channel has the configuration it needs to send."""

    @abstractmethod
    def _send_unique(self, deliveries: list[Delivery]) -> list[Receipt]:
        """Send deliveries with distinct ids; return one receipt per delivery, in order."""

    def close(self) -> None:  # noqa: B027 - optional hook: not every channel holds resources
        """Release connections and threads (nothing by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send_many(self, deliveries: Sequence[Delivery]) -> list[Receipt]:
        """Send deliveries; return one receipt per delivery, in order, never raising."""
        if not deliveries:
            return []
        if not self.configured:
            return [failed_receipt(d, NOT_CONFIGURED, retryable=False) for d in deliveries]
        unique: dict[str, Delivery] = {}
        done: dict[str, Receipt] = {}
        for delivery in deliveries:
            if delivery.channel != self.name:
                done[delivery.delivery_id] = failed_receipt(
                    delivery,
                    f"delivery for channel {delivery.channel} given to {self.name}",
                    retryable=False,
                )
            else:
                unique.setdefault(delivery.delivery_id, delivery)
        batch = [d for d in unique.values() if d.delivery_id not in done]
        done.update(self._guarded(batch))
        receipts = [done[d.delivery_id] for d in deliveries]
        failures = sum(r.failed for r in receipts)
        if failures:
            log.warning("%s: %d of %d deliveries failed", self.name, failures, len(receipts))
        return receipts

    def _guarded(self, batch: list[Delivery]) -> dict[str, Receipt]:
        if not batch:
            return {}
        try:
            receipts = self._send_unique(batch)
        except Exception as exc:  # a bug must not lose deliveries: report them failed
            log.exception("%s: sending %d deliveries failed", self.name, len(batch))
            reason = f"internal error: {type(exc).__name__}: {exc}"
            return {d.delivery_id: failed_receipt(d, reason, retryable=False) for d in batch}
        found = {r.delivery_id: r for r in receipts}
        for delivery in batch:
            if delivery.delivery_id not in found:
                log.error("%s: no receipt for %s", self.name, delivery.delivery_id)
                found[delivery.delivery_id] = failed_receipt(
                    delivery, "internal error: no receipt", retryable=False
                )
        return found
