"""64-bit BLAKE2b, the one hash behind paragraph keys, LSH band keys and shard assignment.

Signed, so that Beam's varint coder takes it as an int64.
"""

from __future__ import annotations

import hashlib


def hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)
