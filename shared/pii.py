"""Personal data at rest (PIPL): AES-GCM encryption with a key id for rotation, an HMAC blind index
for exact lookup, and the masks responses show. No plaintext leaves through here by accident."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.settings import DEVELOPMENT_SECRET

_PHONE = re.compile(r"^1[3-9]\d{9}$")


def is_mainland_mobile(value: str) -> bool:
    return bool(_PHONE.match(value))


# Anything shaped like a mainland ID number (18 characters, the last a digit or X; or the old 15
# digits), a mobile number (with or without +86 and separators) or a landline (area code 0xx(x)).
_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"\d{17}[\dXx]|\d{15}"
    r"|(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}"
    r"|0\d{2,3}[\s-]?\d{7,8}"
    r")(?![0-9A-Za-z])"
)
CLEARED = "***"


def clear_numbers(text: str | None) -> str | None:
    """``text`` with everything shaped like an ID number or a phone number replaced by ``***``: free
    text (a problem's description) shown to the public."""
    return _IN_TEXT.sub(CLEARED, text) if text else text


# A home inside a building: 2单元401(室), 401室, 3-2-401 (building-unit-room) and what follows.
_BELOW_BUILDING = re.compile(r"\s*(?:\d+\s*单元.*|[\d\-]*\d+\s*(?:室|户|房间).*|(?<=[号楼栋幢座])\s*\d{3,4}(?!\d).*)$")
_BUILDING_UNIT_ROOM = re.compile(r"(?<!\d)(\d{1,3})-\d{1,2}-\d{2,4}(?!\d)")


def building_level(address: str | None) -> str | None:
    """An address shown to the public: cut to its building (幸福里小区3号楼2单元401室 → 幸福里小区3号楼,
    12-3-402 → 12号楼), with everything shaped like a phone or ID number cleared."""
    if not address:
        return address
    cut = _BUILDING_UNIT_ROOM.sub(r"\1号楼", address)
    cut = _BELOW_BUILDING.sub("", cut).strip()
    return clear_numbers(cut) or None


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``."""
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name's first character only."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else name


def mask_id_number(id_number: str) -> str:
    """``11010519491231002X`` → ``110105********002X``."""
    return (
        id_number[:6] + "*" * max(0, len(id_number) - 10) + id_number[-4:]
        if len(id_number) >= 10
        else "*" * len(id_number)
    )


def _derive(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def parse_keys(setting: str) -> dict[str, bytes]:
    """``kid1:<base64 32 bytes>,kid2:<...>``; the first is the one new data is encrypted with.
    The development placeholder derives a fixed development key."""
    if setting == DEVELOPMENT_SECRET:
        return {"dev": _derive(setting, "pii")}
    keys: dict[str, bytes] = {}
    for part in setting.split(","):
        kid, _, encoded = part.strip().partition(":")
        key = base64.b64decode(encoded)
        if not kid or len(key) != 32:
            raise ValueError("PII keys are 'kid:<base64 of 32 bytes>' separated by commas")
        keys[kid] = key
    if not keys:
        raise ValueError("at least one PII key is needed")
    return keys


class PiiCipher:
    def __init__(self, keys: dict[str, bytes], blind_index_key: bytes) -> None:
        self._keys = keys
        self._active = next(iter(keys))
        self._blind_key = blind_index_key

    @classmethod
    def from_settings(cls, pii_keys: str, blind_index_key: str) -> PiiCipher:
        blind = (
            _derive(blind_index_key, "blind-index")
            if blind_index_key == DEVELOPMENT_SECRET
            else base64.b64decode(blind_index_key)
        )
        if len(blind) < 32:
            raise ValueError("the blind index key must be at least 32 bytes (base64)")
        return cls(parse_keys(pii_keys), blind)

    def encrypt(self, plaintext: str, *, field: str) -> bytes:
        """``kid`` length, ``kid``, 12-byte nonce, ciphertext; the field name is authenticated data,
        so a phone ciphertext cannot be passed off as an ID number."""
        kid = self._active.encode()
        nonce = os.urandom(12)
        sealed = AESGCM(self._keys[self._active]).encrypt(nonce, plaintext.encode(), field.encode())
        return bytes([len(kid)]) + kid + nonce + sealed

    def decrypt(self, blob: bytes, *, field: str) -> str:
        kid_length = blob[0]
        kid = blob[1 : 1 + kid_length].decode()
        nonce = blob[1 + kid_length : 13 + kid_length]
        sealed = blob[13 + kid_length :]
        return AESGCM(self._keys[kid]).decrypt(nonce, sealed, field.encode()).decode()

    def blind_index(self, value: str, *, field: str) -> bytes:
        """Deterministic HMAC of the normalized value: equal values match, nothing is revealed."""
        normalized = value.strip().upper()
        return hmac.new(self._blind_key, f"{field}:{normalized}".encode(), hashlib.sha256).digest()
