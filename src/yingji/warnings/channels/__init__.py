"""Delivery channels of early warnings (预警叫应): SMS, voice, email, webhooks, in-app payloads.

Pure of the database: the warning ladder builds ``Delivery`` requests, calls
``Channel.send_many`` and stores the ``Receipt`` of each; provider callbacks are parsed here
into ``DeliveryReport``, ``Reply`` and ``KeyPress`` values. No receipt or report is ever an
acknowledgement: only a reply code, a key press or the signed link is.
"""

from yingji.warnings.channels.base import (
    NOT_CONFIGURED,
    BaseChannel,
    Channel,
    ChannelName,
    Delivery,
    DeliveryReport,
    KeyPress,
    Language,
    Receipt,
    ReceiptStatus,
    Reply,
    WarningLevel,
    sms_segments,
)
from yingji.warnings.channels.callbacks import (
    CallbackRejected,
    SignatureInvalid,
    parse_delivery_reports,
    sign_callback,
    verify_signature,
)
from yingji.warnings.channels.config import (
    CallbackSignature,
    ChannelsConfig,
    DeliveryReportFields,
    HttpProviderConfig,
    KeyPressFields,
    ReplyFields,
    ResponseFields,
    SmsConfig,
    SmtpConfig,
    VoiceConfig,
    WebhookConfig,
)
from yingji.warnings.channels.email import EmailChannel
from yingji.warnings.channels.inapp import InAppNotification, build_inapp_notification
from yingji.warnings.channels.registry import build_channels
from yingji.warnings.channels.sms import SmsChannel, extract_reply_codes, parse_replies
from yingji.warnings.channels.templates import (
    MessageContext,
    MessageKind,
    RenderedMessage,
    level_colour,
    level_name,
    render_message,
)
from yingji.warnings.channels.voice import VoiceChannel, parse_key_presses
from yingji.warnings.channels.webhook import (
    WebhookChannel,
    verify_webhook_signature,
    webhook_signature,
)

__all__ = [
    "NOT_CONFIGURED",
    "BaseChannel",
    "CallbackRejected",
    "CallbackSignature",
    "Channel",
    "ChannelName",
    "ChannelsConfig",
    "Delivery",
    "DeliveryReport",
    "DeliveryReportFields",
    "EmailChannel",
    "HttpProviderConfig",
    "InAppNotification",
    "KeyPress",
    "KeyPressFields",
    "Language",
    "MessageContext",
    "MessageKind",
    "Receipt",
    "ReceiptStatus",
    "RenderedMessage",
    "Reply",
    "ReplyFields",
    "ResponseFields",
    "SignatureInvalid",
    "SmsChannel",
    "SmsConfig",
    "SmtpConfig",
    "VoiceChannel",
    "VoiceConfig",
    "WarningLevel",
    "WebhookChannel",
    "WebhookConfig",
    "build_channels",
    "build_inapp_notification",
    "extract_reply_codes",
    "level_colour",
    "level_name",
    "parse_delivery_reports",
    "parse_key_presses",
    "parse_replies",
    "render_message",
    "sign_callback",
    "sms_segments",
    "verify_signature",
    "verify_webhook_signature",
    "webhook_signature",
]
