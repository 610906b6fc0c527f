"""Channel configuration: off by default, templates checked when loaded."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from yingji.warnings.channels import (
    ChannelsConfig,
    HttpProviderConfig,
    ResponseFields,
    SmsConfig,
    WebhookConfig,
)


def test_defaults_point_nowhere() -> None:
    config = ChannelsConfig()

    assert not config.sms.configured and config.sms.url is None
    assert not config.voice.configured
    assert not config.smtp.configured and config.smtp.host is None
    assert not config.webhook.configured
    assert not WebhookConfig(secret=SecretStr("")).configured


def test_nested_configuration_from_plain_data() -> None:
    config = ChannelsConfig.model_validate(
        {
            "sms": {
                "url": "https://sms.example.cn/send",
                "auth_token": "Bearer x",
                "body_template": {
                    "mobile": "{phone_digits}",
                    "msg": "{text}",
                    "uid": "{delivery_id}",
                },
                "response": {"message_id": "data.msgid", "status": "code", "success_values": ["0"]},
            },
            "smtp": {"host": "mail.example.cn", "from_address": "yj@example.cn"},
        }
    )

    assert config.sms.configured and config.smtp.configured
    assert config.sms.auth_token is not None
    assert config.sms.auth_token.get_secret_value() == "Bearer x"
    assert "Bearer x" not in repr(config)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body_template": {"to": "{phone}", "x": "{secret}"}}, "unknown placeholders ['secret']"),
        ({"body_template": {"to": "{phone}", "n": {"a": 1}}, "body_format": "form"}, "only text"),
        ({"batch_size": 10}, "needs a JSON batch_template"),
        ({"batch_size": 10, "batch_template": {"list": "{items}"}}, "{messages}"),
        ({"callback_timezone": "Mars/Olympus"}, "unknown zone"),
        ({"response": {"status": "code"}}, "success_values"),
    ],
)
def test_bad_provider_configuration_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SmsConfig.model_validate({"url": "https://sms.example.cn/send", **fields})
    assert message in str(caught.value)


def test_credentials_are_placeholders() -> None:
    config = HttpProviderConfig(
        body_template={"user": "{credentials.user}", "to": "{phone}"},
        credentials={"user": SecretStr("u")},
    )
    assert config.body_template["user"] == "{credentials.user}"
    assert ResponseFields().message_id == "message_id"
