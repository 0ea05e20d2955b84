from signals.fingerprint import caption_key


def test_small_edits_keep_the_fingerprint() -> None:
    base = "hold your breath as long as you can and tag three friends to try it"
    assert caption_key(base) == caption_key(base.upper() + "!!")  # case and punctuation
    # a changed word leaves most word triples, so usually the smallest hash, in place: the
    # same key with probability equal to the triples' Jaccard similarity
    edited = [
        base.replace("three", "3"),
        base.replace("friends", "pals"),
        base + " tonight",
        "omg " + base,
    ]
    assert sum(caption_key(e) == caption_key(base) for e in edited) >= 2


def test_short_or_different_captions() -> None:
    assert caption_key("new video") is None
    assert caption_key("") is None
    assert caption_key("a quiet walk by the river this morning") != caption_key(
        "hold your breath as long as you can and tag three friends"
    )
