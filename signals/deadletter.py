"""Dead-letter records: the rejected message kept whole, with the reason."""

import base64
import hashlib

from schemas.outputs import DeadLetter


def dead_letter(
    source_topic: str,
    raw: bytes,
    reason: str,
    detail: str,
    *,
    partition: int | None = None,
    offset: int | None = None,
    line: int | None = None,
) -> DeadLetter:
    """Build the dead-letter record for a rejected input message."""
    digest = hashlib.blake2b(raw, digest_size=16, person=source_topic.encode()[:16]).hexdigest()
    return DeadLetter(
        id=digest,
        source_topic=source_topic,
        reason=reason,  # type: ignore[arg-type]
        detail=detail[:500],
        original_b64=base64.b64encode(raw).decode("ascii"),
        original_size=len(raw),
        partition=partition,
        offset=offset,
        line=line,
    )
