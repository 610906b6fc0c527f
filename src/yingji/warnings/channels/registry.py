"""Build every delivery channel from the configuration."""

from __future__ import annotations

from yingji.warnings.channels.base import Channel, ChannelName
from yingji.warnings.channels.config import ChannelsConfig
from yingji.warnings.channels.email import EmailChannel
from yingji.warnings.channels.sms import SmsChannel
from yingji.warnings.channels.voice import VoiceChannel
from yingji.warnings.channels.webhook import WebhookChannel


def build_channels(config: ChannelsConfig) -> dict[ChannelName, Channel]:
    """Return the sending channels by name; unconfigured ones fail every delivery clearly."""
    return {
        ChannelName.SMS: SmsChannel(config.sms),
        ChannelName.VOICE: VoiceChannel(config.voice),
        ChannelName.EMAIL: EmailChannel(config.smtp),
        ChannelName.WEBHOOK: WebhookChannel(config.webhook),
    }
