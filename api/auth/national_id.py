"""The NIK (national ID) is kept only as a keyed hash: enough to refuse a second enrolment, useless if leaked."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class NationalIdHasher:
    """HMAC-SHA256 of the NIK under a key derived (HKDF) from the key-encryption key, never the NIK itself."""

    def __init__(self, key_encryption_key: bytes) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"prakerja nik hash v1").derive(
            key_encryption_key
        )

    def hash(self, nik: str) -> bytes:
        return hmac.new(self._key, nik.strip().encode("ascii"), hashlib.sha256).digest()
