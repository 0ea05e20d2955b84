"""Dead-letter records: a rejected message, bounded, with how to find the whole of it.

A dead letter must always fit in a Kafka message, whatever arrived: a record the broker refuses
would stop the stream on the very message it was meant to set aside (one 0.8 MB upload did,
its dead letter a third larger in base64). It keeps at most DEAD_LETTER_KEEP_BYTES of the
original (every message vigil could have accepted, whole), the original's size and SHA-256,
and where it came from (topic, partition and offset, or line), so the original can be found.
"""

import base64
import hashlib

from schemas.common import DEAD_LETTER_KEEP_BYTES, DEAD_LETTER_KEY_BYTES, MAX_ID_LEN
from schemas.outputs import DeadLetter

MAX_DETAIL = 500


def dead_letter(
    source_topic: str,
    raw: bytes,
    reason: str,
    detail: str,
    *,
    key: bytes | None = None,
    partition: int | None = None,
    offset: int | None = None,
    line: int | None = None,
) -> DeadLetter:
    """Build the dead-letter record for a rejected message.

    Its id is unique per occurrence (the same bytes at two offsets are two dead letters) and
    stable per occurrence (a redelivered message gets the same id).
    """
    sha = hashlib.sha256(raw).hexdigest()
    where = f"{source_topic}\x1f{partition}\x1f{offset}\x1f{line}\x1f{sha}"
    kept = raw[:DEAD_LETTER_KEEP_BYTES]
    return DeadLetter(
        id=hashlib.blake2b(where.encode(), digest_size=16).hexdigest(),
        source_topic=_shown(source_topic),
        reason=reason,  # type: ignore[arg-type]
        detail=detail[:MAX_DETAIL],
        original_b64=base64.b64encode(kept).decode("ascii"),
        original_size=len(raw),
        original_sha256=sha,
        original_truncated=len(kept) < len(raw),
        key_b64=None
        if key is None
        else base64.b64encode(key[:DEAD_LETTER_KEY_BYTES]).decode("ascii"),
        partition=partition,
        offset=offset,
        line=line,
    )


def _shown(topic: str) -> str:
    """A topic name as a dead letter names it: an events file may give any text as a topic."""
    topic = topic[:MAX_ID_LEN]
    return (
        topic if topic.isprintable() else "".join(c if c.isprintable() else "\ufffd" for c in topic)
    )


def dead_letter_key(record: DeadLetter, key: bytes | None) -> str:
    """The Kafka key of a dead letter: the original's key when it is a plausible id (so a
    video's dead letters share its partition), else the dead letter's own id."""
    if key is not None and 0 < len(key) <= MAX_ID_LEN:
        text = key.decode("utf-8", "replace")
        if text.isprintable() and "\ufffd" not in text:
            return text
    return record.id
