"""What a superior's delivery says: why they are asked, in their language, on every channel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from yingji.warnings._d_messages import Recipient, WarningFacts, build_delivery
from yingji.warnings.channels import ChannelName

FACTS = WarningFacts(
    id=uuid.uuid4(), status="issued", level=2, event="暴雨", event_en="Rainstorm",
    area_desc="西陵区", sender_name="宜昌市应急管理局", sender_name_en="Yichang EMB",
    instruction="危险区域人员立即转移。", instruction_en="Leave the danger zones now.",
    issued_at=datetime(2026, 7, 20, 0, 30, tzinfo=UTC),
)  # fmt: skip


TARGET = uuid.uuid4()


def _recipient(language: str, on_behalf_of: str | None) -> Recipient:
    return Recipient(id=TARGET, user_id=TARGET, mobile="+8613800000001",
                     email="a@example.org", language=language, must_acknowledge=True,
                     token_nonce="ab" * 12, reply_code="1234",
                     on_behalf_of=on_behalf_of)  # fmt: skip


@pytest.mark.parametrize("channel", [ChannelName.SMS, ChannelName.VOICE, ChannelName.EMAIL,
                                     ChannelName.INAPP])  # fmt: skip
@pytest.mark.parametrize(("language", "lead"), [
    ("zh", "【未叫应】村级防汛责任人王明未在时限内确认此预警"),
    ("en", "[No answer] 村级防汛责任人王明 has not acknowledged this warning in time"),
])  # fmt: skip
def test_a_superior_is_told_who_did_not_answer(
    channel: ChannelName, language: str, lead: str
) -> None:
    def text(on_behalf_of: str | None, purpose: str = "ask") -> str:
        return build_delivery(
            delivery_id=uuid.uuid4(), channel=channel,
            recipient=_recipient(language, on_behalf_of), warning=FACTS,
            purpose=purpose,  # type: ignore[arg-type]
            key=b"k" * 32, base_url="https://yj.example",
        ).text  # fmt: skip

    plain = text(None)
    told = text("村级防汛责任人王明")
    assert told.startswith(lead) and told.endswith(plain)
    assert "未叫应" not in plain and "No answer" not in plain
    assert text("村级防汛责任人王明", "tell") == text(None, "tell")  # only those asked to answer
