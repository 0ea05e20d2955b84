"""State encodings are versioned records: a new version reads the old, and refuses the unknown.

A table value and its changelog record outlive the worker that wrote them: a deploy restores
the old version's state, and a rollback may meet a newer one. Each state family's encoding
starts with its version; decoding one it does not know would misread every field after the
first change, so it raises instead, naming the family and both versions.
"""


class UnknownEncoding(ValueError):
    """A stored state written by an encoding this version of vigil does not read."""


def check(family: str, version: object, readable: tuple[int, ...]) -> int:
    """The version of a stored state, if this build reads it; else UnknownEncoding."""
    if not isinstance(version, int) or version not in readable:
        raise UnknownEncoding(
            f"{family} state has encoding {version!r}; this version of vigil reads "
            f"{', '.join(map(str, readable))} (was it written by a newer vigil?)"
        )
    return version
