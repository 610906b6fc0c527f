"""Signed acknowledgement links (叫应 by one tap): a token naming a target, unforgeable.

A token is ``base64url(target id ‖ MAC)`` without padding, 43 characters: the 16 bytes of the
target's id and the first 16 bytes of HMAC-SHA256 over a version tag, the id and the target's
random ``token_nonce``, keyed by a key derived from ``Settings.secret_key``. Nothing is stored
for a token: the target row holds the nonce, and changing the nonce (or the secret) revokes
every link to it. A token stays valid for the life of its target: acknowledging is idempotent
(the second tap says "already acknowledged"), and the holder may keep reporting evacuations.
The link is ``{public_base_url}/w/{token}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import uuid
from typing import Final

from yingji.core.config import Settings

_TAG: Final = b"yingji.warnings.ack.v1\x00"
_KEY_LABEL: Final = b"yingji.warnings.ack-token"
_MAC_BYTES: Final = 16
TOKEN_LENGTH: Final = 43  # base64url of 32 bytes, unpadded
NONCE_BYTES: Final = 12  # 24 hex characters in WarningTarget.token_nonce


def token_key(secret: str) -> bytes:
    """Return the key that signs acknowledgement tokens, derived from the secret key."""
    return hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def key_of(settings: Settings) -> bytes:
    """Return the token key of a deployment's settings."""
    return token_key(settings.resolved_secret())


def new_nonces(count: int) -> list[str]:
    """Return ``count`` random nonces (hex), drawn in one call: target creation is bulk."""
    width = NONCE_BYTES * 2
    raw = os.urandom(NONCE_BYTES * count).hex()
    return [raw[i : i + width] for i in range(0, width * count, width)]


def _mac(key: bytes, target_id: uuid.UUID, nonce: str) -> bytes:
    message = _TAG + target_id.bytes + nonce.encode("ascii")
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(key: bytes, target_id: uuid.UUID, nonce: str) -> str:
    """Return the URL-safe token of a target."""
    raw = target_id.bytes + _mac(key, target_id, nonce)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def target_id_of(token: str) -> uuid.UUID | None:
    """Return the target id a token claims, or None if it is not a token at all."""
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return None
    if (
        len(raw) != 16 + _MAC_BYTES
        or base64.urlsafe_b64encode(raw)[:TOKEN_LENGTH] != token.encode()
    ):
        return None  # not 32 bytes, or a non-canonical spelling of them
    return uuid.UUID(bytes=raw[:16])


def verify_token(key: bytes, token: str, target_id: uuid.UUID, nonce: str) -> bool:
    """Return whether a token is the one signed for this target and nonce."""
    if target_id_of(token) != target_id:
        return False
    given = base64.urlsafe_b64decode(token + "=")[16:]
    return hmac.compare_digest(given, _mac(key, target_id, nonce))


def ack_url(base_url: str, token: str) -> str:
    """Return the acknowledgement link of a token."""
    return f"{base_url.rstrip('/')}/w/{token}"
