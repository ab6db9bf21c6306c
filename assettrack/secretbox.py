"""Secrets kept in the database, encrypted with the installation's data key (Fernet).

The key is ``DATA_KEY`` (``instance/data_key``, made on first run like the session and audit
keys, or given by the operator). It never enters the database, so a copy of the database (a
backup, a dump) holds no usable second-factor secret (and, with #14's single sign-on, no client
secret). Fernet is AES-128-CBC with HMAC-SHA256 from the maintained ``cryptography`` package.
"""

import base64
import hashlib

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken

__all__ = ["SecretBoxError", "seal", "open_sealed"]


class SecretBoxError(Exception):
    """A sealed value that this installation's key does not open (another key, or altered)."""


def _fernet(key: str) -> Fernet:
    # Any operator-given string becomes the 32 bytes Fernet wants; the purpose is bound in.
    digest = hashlib.sha256(b"assettrack secretbox v1\x00" + key.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(key: str, value: str) -> str:
    """Encrypt ``value`` under ``key``; the result is ASCII, safe for a text column.

    >>> sealed = seal("k", "JBSWY3DPEHPK3PXP")
    >>> sealed != "JBSWY3DPEHPK3PXP", open_sealed("k", sealed)
    (True, 'JBSWY3DPEHPK3PXP')
    """
    return _fernet(key).encrypt(value.encode("utf-8")).decode("ascii")


def open_sealed(key: str, sealed: str) -> str:
    """Decrypt what :func:`seal` made; raise :class:`SecretBoxError` for another key or a change.

    >>> open_sealed("other", seal("k", "x"))
    Traceback (most recent call last):
    ...
    assettrack.secretbox.SecretBoxError: sealed with another key, or altered
    """
    try:
        return _fernet(key).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise SecretBoxError("sealed with another key, or altered") from exc
