"""One-time links sent by e-mail (employer agreement, resource-person invitation).

Only the hash is stored: a leaked database does not leak usable links.
"""

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh URL-safe token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
