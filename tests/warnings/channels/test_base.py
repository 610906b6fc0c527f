"""The shared channel contract: one receipt per delivery, in order, whatever happens."""

from __future__ import annotations

from typing import ClassVar

import pytest

from tests.warnings.channels.factories import delivery
from yingji.warnings.channels import (
    NOT_CONFIGURED,
    BaseChannel,
    Channel,
    ChannelName,
    ChannelsConfig,
    Delivery,
    Receipt,
    ReceiptStatus,
    build_channels,
    sms_segments,
)
from yingji.warnings.channels._http import HttpPool
from yingji.warnings.channels.base import utcnow


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 0),
        ("预" * 70, 1),
        ("预" * 71, 2),
        ("预" * 134, 2),
        ("预" * 135, 3),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("[" * 80, 1),  # GSM extension characters take two septets
        ("[" * 81, 2),
        ("Red warning 🌧", 1),  # not GSM: UCS-2, the emoji counts twice
        ("🌧" * 36, 2),
    ],
)
def test_sms_segments(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


class Recording(BaseChannel):
    """A channel whose sending is scripted: it succeeds, drops a receipt, or raises."""

    name: ClassVar[ChannelName] = ChannelName.SMS

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.batches: list[list[str]] = []

    @property
    def configured(self) -> bool:
        return self.mode != "off"

    def _send_unique(self, deliveries: list[Delivery]) -> list[Receipt]:
        self.batches.append([d.delivery_id for d in deliveries])
        if self.mode == "raise":
            raise RuntimeError("bug")
        kept = deliveries[:-1] if self.mode == "drop" else deliveries
        return [
            Receipt(
                delivery_id=d.delivery_id,
                channel=self.name,
                status=ReceiptStatus.SENT,
                at=utcnow(),
            )
            for d in kept
        ]


def test_receipts_follow_the_input_order_and_duplicates_go_once() -> None:
    channel = Recording()
    receipts = channel.send_many([delivery(2), delivery(1), delivery(2), delivery(3)])

    assert channel.batches == [["d-2", "d-1", "d-3"]]
    assert [r.delivery_id for r in receipts] == ["d-2", "d-1", "d-2", "d-3"]
    assert channel.send_many([]) == []


def test_an_exception_becomes_failed_receipts() -> None:
    receipts = Recording("raise").send_many([delivery(1), delivery(2)])

    assert [(r.status, r.reason, r.retryable) for r in receipts] == [
        (ReceiptStatus.FAILED, "internal error: RuntimeError: bug", False)
    ] * 2


def test_a_missing_receipt_is_a_failure_not_a_loss() -> None:
    receipts = Recording("drop").send_many([delivery(1), delivery(2)])

    assert [r.status for r in receipts] == [ReceiptStatus.SENT, ReceiptStatus.FAILED]
    assert receipts[1].reason == "internal error: no receipt"


def test_wrong_channel_and_unconfigured() -> None:
    channel = Recording()
    [wrong] = channel.send_many([delivery(1, channel=ChannelName.EMAIL)])
    [off] = Recording("off").send_many([delivery(1)])

    assert channel.batches == []
    assert (wrong.reason, wrong.retryable) == ("delivery for channel email given to sms", False)
    assert (off.reason, off.retryable) == (NOT_CONFIGURED, False)


def test_default_configuration_sends_nothing_anywhere() -> None:
    channels = build_channels(ChannelsConfig())

    assert set(channels) == {
        ChannelName.SMS,
        ChannelName.VOICE,
        ChannelName.EMAIL,
        ChannelName.WEBHOOK,
    }
    for name, channel in channels.items():
        assert isinstance(channel, Channel)
        assert channel.name is name and not channel.configured
        [receipt] = channel.send_many([delivery(1, channel=name)])
        assert (receipt.status, receipt.reason) == (ReceiptStatus.FAILED, NOT_CONFIGURED)
        channel.close()


def test_pool_isolates_a_failing_item_and_keeps_the_order() -> None:
    pool = HttpPool(concurrency=3, connect_timeout=1.0, timeout=1.0)

    def square(n: int) -> int:
        if n == 5:
            raise ValueError("five")
        return n * n

    try:
        results = pool.map(square, list(range(10)), lambda n, exc: -n)
    finally:
        pool.close()
    assert results == [0, 1, 4, 9, 16, -5, 36, 49, 64, 81]
