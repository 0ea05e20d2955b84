"""One page for one event: trend keys that spike together on the same videos.

A challenge takes off under its hashtag, its sound, its caption and a generic tag such as
`#fyp` in the same second, with the same sample videos. On-call needs one page for it, listing
every key and titled by the most specific one, not four pages, one of them headed by `#fyp`.

Two firing alerts belong together when they share a sample video (each carries the newest
videos under its key). The notifier holds a firing alert for `coalesce_seconds` before paging,
so that keys firing in the same burst are merged first (`merge`); a key that fires later, on
videos of an incident already paged, joins it (the notifier records each incident's videos in
Redis, shared by every worker) and its page becomes an update of that incident.

The most specific key heads: a hashtag or sound, then a caption (its key is a fingerprint,
not something on-call can read), then a policy area (an area x region counts a whole category
of reports); among those, the one with the smallest expected count (a tag that is always busy
has a large one, so `#fyp` never heads), then a hashtag before a sound, then by name.

A key that fires long after the others, once the videos its alert samples have moved on,
pages on its own: the alerts carry a key's newest videos (8), not all of them.
"""

from typing import Any

KIND_ORDER = {"hashtag": 0, "audio": 1, "caption": 2, "area_region": 3}
RANK = {"hashtag": 0, "audio": 0, "caption": 1, "area_region": 2}  # which kinds may head first

Alert = dict[str, Any]


def specificity(alert: Alert) -> tuple[int, float, int, str]:
    """Sorts the most specific key first."""
    key = alert["key"]
    kind = key["kind"]
    expected = float(alert.get("expected") or 0.0)
    rank = RANK.get(kind, len(RANK))
    return (rank, expected, KIND_ORDER.get(kind, 9), key["value"])


def shares_videos(a: Alert, b: Alert) -> bool:
    """Whether two alerts' keys spiked on a same sample video."""
    return not set(a.get("sample_content_ids") or ()).isdisjoint(b.get("sample_content_ids") or ())


def merge(firing: list[Alert]) -> list[Alert]:
    """Firing alerts, grouped: one alert per group of keys that share videos (transitively),
    the most specific key's, with `keys` listing every key (its own first) and
    `grouped_incident_ids` the incidents it stands for. In arrival order of the groups."""
    groups: list[list[Alert]] = []
    for alert in firing:
        touching = [g for g in groups if any(shares_videos(alert, other) for other in g)]
        merged = [alert]
        for g in touching:
            merged = g + merged
            groups.remove(g)
        groups.append(merged)
    return [headed(g) for g in groups]


def headed(group: list[Alert]) -> Alert:
    """The group's alert: its most specific member's, listing every member."""
    members = sorted(group, key=specificity)
    head = dict(members[0])
    head["keys"] = [m["key"] for m in members]
    head["grouped_incident_ids"] = [m["incident_id"] for m in members]
    head["sample_content_ids"] = list(
        dict.fromkeys(s for m in members for s in m.get("sample_content_ids") or ())
    )
    return head


def joined(alert: Alert, incident_id: str, keys: list[dict[str, str]]) -> Alert:
    """A key that fired on the videos of an incident already paged: an update of it."""
    update = dict(alert)
    update["id"] = f"{alert['id']}:joined:{incident_id}"
    update["status"] = "updated"
    update["incident_id"] = incident_id
    update["grouped_incident_ids"] = [alert["incident_id"]]
    update["keys"] = [*keys, alert["key"]] if alert["key"] not in keys else keys
    return update
