"""Short booking references like ``WA-7K3Q``: easy to read aloud and to type.

No 0/O, 1/I/L or U/V look-alikes; 4 characters from 29 give 707,281 codes, and a clash is
retried by the caller (the column is unique).
"""

from __future__ import annotations

import secrets
from typing import Final

ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTWXYZ"
PREFIX: Final = "WA-"


def new_reference() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(4))


def looks_like_reference(text: str) -> bool:
    code = text.strip().upper().removeprefix(PREFIX)
    return len(code) == 4 and all(ch in ALPHABET for ch in code)
