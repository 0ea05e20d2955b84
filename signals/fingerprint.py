"""Near-duplicate caption fingerprints: the same text re-posted with small edits, one key.

A caption is normalised (case, punctuation, digits, spacing), cut into overlapping word
triples, and reduced to the smallest 64-bit hash among them (one MinHash). Two captions share
the fingerprint with probability equal to the Jaccard similarity of their triples, so a
copy-paste campaign with a changed word or emoji still lands on one trend key. Short captions
(under `MIN_WORDS` words) are too generic to fingerprint. The text itself is never kept.
"""

import hashlib
import re

MIN_WORDS = 5
_NOT_WORD = re.compile(r"[^\w]+|\d+|_")


def caption_key(caption: str) -> str | None:
    """The caption's fingerprint (16 hex digits), or None when it is too short to mean much."""
    words = [w for w in _NOT_WORD.split(caption.lower()) if w]
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    return min(hashlib.blake2b(s.encode(), digest_size=8).hexdigest() for s in shingles)
