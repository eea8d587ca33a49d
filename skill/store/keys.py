"""The key a user's saved place is stored under: a one-way hash of the Alexa user id, never the id itself."""

from __future__ import annotations

import hashlib

from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

# Domain separation: the request log hashes user ids too (skill/web/edge.py). A different prefix gives a different
# digest, so a log line cannot be joined to a stored row by its hash. Changing it orphans every saved place.
_KEY_PREFIX = b"hamstring-cramp-helper/state/v1\x00"


def hash_user_id(user_id: str) -> str:
    """Hex SHA-256 of the prefixed id. Alexa user ids are long random strings (amzn1.ask.account. + ~200 chars),
    so the digest cannot be reversed by guessing, and the store holds nothing that names a person."""
    return hashlib.sha256(_KEY_PREFIX + user_id.encode("utf-8")).hexdigest()


def hashed_user_id_keygen(request_envelope: RequestEnvelope) -> str:
    """Partition key generator in the shape of ask-sdk's `user_id_partition_keygen`, but hashed."""
    system = getattr(request_envelope.context, "system", None)
    user_id = getattr(getattr(system, "user", None), "user_id", None)
    if not isinstance(user_id, str) or not user_id:
        # Same exception type as ask-sdk's keygens, so callers handle every adapter's failures alike.
        raise PersistenceException("no user id in the request envelope: nothing to key the saved place by")
    return hash_user_id(user_id)
