"""Staff tokens and dashboard session ids: 256 random bits, of which only a hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

TOKEN_BYTES: Final = 32  # 256 random bits
TOKEN_PREFIX: Final = "wa_staff_"  # noqa: S105 - a recognisable prefix, not a secret
"""Lets secret scanners and people tell a staff token from other strings."""


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def new_session_id() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_secret(secret: str) -> str:
    """SHA-256 in hex: what the database keeps of a token or a session id."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same(left: str, right: str) -> bool:
    """Compare two secrets (or their hashes) in constant time."""
    return hmac.compare_digest(left.encode("utf-8", "replace"), right.encode("utf-8", "replace"))


def csrf_token(session_id: str, purpose: str = "staff-form") -> str:
    """The form token bound to a session: an HMAC keyed with the session's own secret id.

    Pages show it, the cookie holds the id; knowing one does not give the other.
    """
    key = session_id.encode("utf-8", "surrogatepass")
    return hmac.new(key, f"weeraan-csrf:{purpose}".encode(), hashlib.sha256).hexdigest()
