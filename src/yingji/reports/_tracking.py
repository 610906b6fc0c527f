"""Tracking codes and signed form tokens of the public pages.

A tracking code has 100 bits of randomness in Crockford base32, grouped ``XXXX-XXXX-XXXX-XXXX-
XXXX``; only its SHA-256 is stored. The form token is the anonymous form's CSRF equivalent: an
HMAC of the issue time and the hashed client address, so another site cannot obtain one for
its visitor's browser (it cannot read our page) and a token is useless from another address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_CHARS: Final = 20  # 20 x 5 bits = 100 bits
GROUP: Final = 4
_CONFUSABLE: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """Return a fresh tracking code, grouped for reading."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_CHARS, GROUP))


def normalise(code: str) -> str:
    """Return a code as stored: upper case, no separators, confusable letters mapped."""
    cleaned = "".join(ch for ch in code.upper() if ch not in "- \t")
    return cleaned.translate(_CONFUSABLE)


def code_hash(code: str) -> str:
    """Return the SHA-256 (hex) of a normalised code; the only form kept in the database."""
    return hashlib.sha256(normalise(code).encode("utf-8")).hexdigest()


def _signature(secret: str, issued: int, client: str) -> str:
    message = f"report-form\x00{issued}\x00{client}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


def form_token(secret: str, client: str, *, now: float | None = None) -> str:
    """Return a signed token for the public form, bound to a (hashed) client address."""
    issued = int(now if now is not None else time.time())
    return f"{issued}.{_signature(secret, issued, client)}"


def form_token_valid(
    secret: str, client: str, token: str, *, max_age_seconds: int, now: float | None = None
) -> bool:
    """Return whether a form token is genuine, for this client, and not expired."""
    issued_raw, _, signature = token.partition(".")
    if not issued_raw.isdigit() or len(issued_raw) > 12:
        return False
    issued = int(issued_raw)
    moment = now if now is not None else time.time()
    if not 0 <= moment - issued <= max_age_seconds:
        return False
    expected = _signature(secret, issued, client)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
