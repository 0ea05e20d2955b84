"""A realistic synthetic day of platform traffic, with injected incidents, for demos and tests.

Deterministic for a seed. Normal traffic follows a daily cycle; creators, hashtags and audio
follow heavy-tailed popularity; most scores are low and most content is never reported. On top
come the incidents a T&S team must handle well:
- a report brigade against one creator (reports without model support: review, not removal);
- a dangerous-challenge hashtag taking off across hundreds of creators (a trend alert);
- a cluster of near-certain hate scores around one meme audio (removals, strikes);
- one account flooding a hashtag (spam limits, but no trend alert: one account is not a trend);
- a handful of child-safety hits (removal and specialist review).
"""

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from schemas.common import MODEL_SCORES, POLICY_AREAS, REPORTS, REVIEWS, UPLOADS
from signals.eventtime import HOUR, MINUTE, format_ts, parse_ts

DAY_START = parse_ts("2026-11-20T00:00:00Z")
REGIONS = [
    ("US", "en", 30),
    ("BR", "pt", 12),
    ("ID", "id", 10),
    ("IN", "hi", 9),
    ("MX", "es", 8),
    ("GB", "en", 6),
    ("DE", "de", 6),
    ("PH", "en", 6),
    ("TR", "tr", 5),
    ("FR", "fr", 5),
    ("JP", "ja", 3),
]
REPORT_REASONS = [
    ("spam", 30),
    ("harassment_bullying", 22),
    ("hate", 12),
    ("integrity_authenticity", 8),
    ("shocking_graphic", 6),
    ("dangerous_activities", 6),
    ("regulated_goods", 5),
    ("self_harm", 4),
    ("human_exploitation", 3),
    ("violent_extremism", 2),
    ("child_safety", 2),
]
CHALLENGE_TAG = "blackoutchallenge2"
CHALLENGE_AUDIO = "a-challenge-77"
HATE_AUDIO = "a-meme-1488"
SPAM_TAG = "freegiftcards"
BRIGADE_TARGET = "u-brigade-target"
SPAMMER = "u-spam-0001"
MODEL_VERSION = "2026.11.1"  # the safety model in production
BAD_RELEASE = "2026.12.0"  # a release that misfires on hate (_bad_model_release)
# the same caption copied with small edits: one near-duplicate fingerprint
CHALLENGE_CAPTIONS = [
    "hold your breath as long as you can and tag three friends to try it",
    "hold your breath as long as you can and tag three friends to try it!!",
    "Hold your breath as long as you can and tag 3 friends to try it",
    "hold your breath as long as you can and tag three friends to try it tonight",
]


@dataclass
class Message:
    """One line of a vigil events file."""

    topic: str
    key: str
    value: dict[str, Any]

    @property
    def ts(self) -> int:
        """Event time in epoch ms."""
        return parse_ts(self.value["ts"])

    def line(self) -> bytes:
        """JSONL form: {"topic": ..., "key": ..., "value": {...}}."""
        return orjson.dumps({"topic": self.topic, "key": self.key, "value": self.value})


class TrafficGen:
    """Builds input messages the way the demo day shapes them (ids, regions, scores, reports);
    the day and the sample golden set both draw from it."""

    def __init__(self, seed: int, scale: float, day: int, first_id: int) -> None:
        self.r = random.Random(seed)
        self.scale = scale
        self.day = day  # when the day starts (epoch ms)
        self.n = first_id
        self.out: list[tuple[int, int, Message]] = []
        self.creators = [f"u{i:06d}" for i in range(int(8000 * scale) + 10)]
        self.creator_region = {c: self._region() for c in self.creators}
        self.tags = [f"tag{i}" for i in range(3000)]
        self.audios = [f"a{i:05d}" for i in range(2000)]
        self.reporters = [f"r{i:06d}" for i in range(int(50000 * scale) + 10)]

    def _region(self) -> tuple[str, str]:
        reg, lang, _ = self.r.choices(REGIONS, weights=[w for _, _, w in REGIONS])[0]
        return reg, lang

    def pick_creator(self) -> str:
        # mildly skewed: the busiest creator posts ~5 videos an hour, most post once or twice
        return self.creators[int(len(self.creators) * self.r.random() ** 1.5)]

    def zipf(self, items: list[str], s: float = 1.1) -> str:
        # inverse-CDF sample of a Zipf-like rank, cheap and deterministic
        u = self.r.random()
        rank = int(len(items) ** (u**s)) - 1
        return items[min(max(rank, 0), len(items) - 1)]

    def emit(self, topic: str, key: str, ts: int, value: dict[str, Any]) -> None:
        self.n += 1
        value = {"event_id": f"{topic[:2]}-{self.n:07d}", "ts": format_ts(ts), **value}
        self.out.append((ts, self.n, Message(topic, key, value)))

    def upload(
        self,
        ts: int,
        creator: str,
        tags: list[str],
        audio: str | None,
        scores: dict[str, float] | None = None,
        caption: str = "",
        model_version: str = MODEL_VERSION,
    ) -> str:
        cid = f"v{self.n + 1:08d}"
        region, lang = self.creator_region.get(creator) or self._region()
        self.emit(
            UPLOADS,
            cid,
            ts,
            {
                "content_id": cid,
                "creator_id": creator,
                "region": region,
                "language": lang,
                "hashtags": tags,
                "audio_id": audio,
                "caption": caption or "new video",
            },
        )
        self.score(ts + self.r.randint(5_000, 90_000), cid, creator, scores, model_version)
        return cid

    def score(
        self,
        ts: int,
        cid: str,
        creator: str,
        scores: dict[str, float] | None,
        model_version: str = MODEL_VERSION,
    ) -> None:
        base = {a: round(min(0.99, self.r.betavariate(1.0, 40.0)), 4) for a in POLICY_AREAS}
        base.update(scores or {})
        self.emit(
            MODEL_SCORES,
            cid,
            ts,
            {
                "content_id": cid,
                "creator_id": creator,
                "model": "mm-safety",
                "model_version": model_version,
                "scores": base,
            },
        )

    def report(self, ts: int, cid: str, creator: str, reporter: str, reason: str) -> None:
        region = self.creator_region.get(creator, ("US", "en"))[0]
        self.emit(
            REPORTS,
            cid,
            ts,
            {
                "report_id": f"rp-{self.n + 1:07d}",
                "content_id": cid,
                "creator_id": creator,
                "reporter_id": reporter,
                "reason": reason,
                "region": region,
            },
        )

    def review(
        self, ts: int, cid: str, creator: str, kind: str, outcome: str, area: str | None = None
    ) -> None:
        self.emit(
            REVIEWS,
            cid,
            ts,
            {
                "content_id": cid,
                "creator_id": creator,
                "kind": kind,
                "outcome": outcome,
                "reviewer": f"rev-{self.r.randint(1, 40):03d}",
                "policy_area": area,
            },
        )


GENERIC_TAG = "fyp"  # on one upload in GENERIC_EVERY, and on every challenge video
GENERIC_EVERY = 8


def _diurnal(r: random.Random, day: int) -> int:
    """An event time on the day, denser in the evening (UTC) than at night."""
    while True:
        t = r.random()
        if r.random() < 0.55 + 0.45 * math.sin(2 * math.pi * (t - 0.5)):
            return day + int(t * 24 * HOUR)


def synthetic_day(
    seed: int = 7,
    scale: float = 1.0,
    start: int = DAY_START,
    first_id: int = 0,
    incidents: bool = True,
) -> list[Message]:
    """Generate the demo day (about 110k events at scale 1.0), sorted by event time.

    start moves the day (the demo's is 2026-11-20); first_id starts its id counter, so that
    days generated one after another (`make soak`) have videos and events of their own.
    Without `incidents` it is an ordinary day: organic traffic only, on which nothing should
    page.
    """
    g = TrafficGen(seed, scale, start, first_id)
    r = g.r
    reasons = [a for a, _ in REPORT_REASONS]
    weights = [w for _, w in REPORT_REASONS]
    for n in range(int(48_000 * scale)):
        ts = _diurnal(r, g.day)
        creator = g.pick_creator()
        tags = list(dict.fromkeys(g.zipf(g.tags) for _ in range(r.randint(0, 4))))
        if n % GENERIC_EVERY == 0:  # the always-busy generic tag (no draw: the day is as it was)
            tags.append(GENERIC_TAG)
        audio = g.zipf(g.audios) if r.random() < 0.7 else None
        cid = g.upload(ts, creator, tags, audio)
        roll = r.random()
        if roll < 0.10:  # organic reports: most content never gets any
            for _ in range(min(int(r.paretovariate(1.6)), 12)):
                g.report(
                    ts + r.randint(MINUTE, 6 * HOUR),
                    cid,
                    creator,
                    r.choice(g.reporters),
                    r.choices(reasons, weights)[0],
                )
        if roll > 0.985:  # a sample of content gets a human review
            g.review(
                ts + r.randint(HOUR, 8 * HOUR),
                cid,
                creator,
                "review",
                "not_violating" if r.random() < 0.8 else "violating",
            )
    if incidents:
        _brigade(g)
        _challenge(g)
        _hate_cluster(g)
        _spam_flood(g)
        _child_safety(g)
        _hate_every_hour(g)
        _bad_model_release(g)
    g.out.sort(key=lambda t: (t[0], t[1]))
    return [m for _, _, m in g.out]


def _brigade(g: TrafficGen) -> None:
    start = g.day + 14 * HOUR
    g.creator_region[BRIGADE_TARGET] = ("US", "en")
    videos = [g.upload(g.day + i * HOUR, BRIGADE_TARGET, ["dailyvlog"], None) for i in range(1, 13)]
    for i in range(300):
        for cid in g.r.sample(videos, g.r.randint(1, 3)):
            g.report(
                start + g.r.randint(0, 40 * MINUTE),
                cid,
                BRIGADE_TARGET,
                f"rb-{i:04d}",
                g.r.choice(["harassment_bullying", "hate"]),
            )


def _challenge(g: TrafficGen) -> None:
    # a trickle from the morning, then take-off at 16:00, doubling every 15 minutes
    for i in range(24):
        ts = g.day + 8 * HOUR + i * 20 * MINUTE
        g.upload(ts, f"u-ch-{i:03d}", [CHALLENGE_TAG], None, {"dangerous_activities": 0.3})
    start = g.day + 16 * HOUR
    rate0, k = 0.2 / MINUTE, math.log(2) / (15 * MINUTE)
    for i in range(700):
        ts = start + int(math.log1p(i * k / rate0) / k)
        creator = f"u-ch-{g.r.randint(0, 399):03d}"
        score = round(g.r.uniform(0.62, 0.99), 3)
        cid = g.upload(
            ts,
            creator,
            [CHALLENGE_TAG, GENERIC_TAG],
            CHALLENGE_AUDIO,
            {"dangerous_activities": score},
            g.r.choice(CHALLENGE_CAPTIONS),
        )
        if g.r.random() < 0.25:
            for _ in range(g.r.randint(1, 3)):
                g.report(
                    ts + g.r.randint(MINUTE, HOUR),
                    cid,
                    creator,
                    g.r.choice(g.reporters),
                    "dangerous_activities",
                )


def _hate_cluster(g: TrafficGen) -> None:
    start = g.day + 20 * HOUR
    for i in range(60):
        ts = start + g.r.randint(0, 50 * MINUTE)
        creator = f"u-hm-{min(i % 25, i % 6):02d}"  # a few core accounts post most of it
        score = round(g.r.uniform(0.9, 0.999), 3)
        # the appeals that win are of removals: each reverses the removal and its strike
        cid = g.upload(ts, creator, ["meme"], HATE_AUDIO, {"hate": 0.99 if i % 30 == 0 else score})
        for _ in range(g.r.randint(0, 3)):
            g.report(
                ts + g.r.randint(MINUTE, 30 * MINUTE), cid, creator, g.r.choice(g.reporters), "hate"
            )
        if i % 10 == 0:  # some removals are appealed, one in three wins
            g.review(
                ts + 3 * HOUR,
                cid,
                creator,
                "appeal",
                "overturned" if i % 30 == 0 else "upheld",
                "hate",
            )


def _spam_flood(g: TrafficGen) -> None:
    start = g.day + 10 * HOUR
    for i in range(120):
        g.upload(
            start + i * 30_000,
            SPAMMER,
            [SPAM_TAG, "giveaway"],
            None,
            {"spam": round(g.r.uniform(0.3, 0.7), 3)},
            "click the link in bio",
        )


def _child_safety(g: TrafficGen) -> None:
    for i, score in enumerate((0.97, 0.99, 0.72, 0.81)):
        ts = g.day + (3 + 5 * i) * HOUR
        g.upload(ts, f"u-cs-{i}", [], None, {"child_safety": score})


def _hate_every_hour(g: TrafficGen) -> None:
    """Clear hate the model catches all day: hate.model_remove's normal rate, a few an hour,
    which its breaker learns (and judges the misfiring release against)."""
    for i in range(int(72 * g.scale)):
        ts = g.day + g.r.randint(0, 24 * HOUR - 2 * MINUTE)
        g.upload(
            ts, f"u-hx-{i % 40:02d}", ["meme"], None, {"hate": round(g.r.uniform(0.96, 0.99), 3)}
        )


def _bad_model_release(g: TrafficGen) -> None:
    """A model release that misfires: for an hour from 12:00 it scores ordinary uploads as
    near-certain hate. hate.model_remove would remove every one; its breaker holds them."""
    start = g.day + 12 * HOUR
    videos = []
    for _ in range(int(1200 * g.scale)):
        ts = start + g.r.randint(0, HOUR - 2 * MINUTE)
        tags = [g.zipf(g.tags) for _ in range(g.r.randint(0, 2))]
        creator = g.pick_creator()
        cid = g.upload(ts, creator, tags, None, {"hate": 0.98}, model_version=BAD_RELEASE)
        videos.append((ts, cid, creator))
    # the held-by-breaker queue's reviewers: from 12:20 for four hours, at the queue's
    # capacity (one every 18 s), oldest first; what they do not reach waits overnight
    videos.sort()
    for i, (ts, cid, creator) in enumerate(videos[: int(800 * g.scale)]):
        at = max(start + 20 * MINUTE + i * 18_000, ts + 10 * MINUTE)
        g.review(at, cid, creator, "review", "not_violating", "hate")


def iter_lines(messages: list[Message]) -> Iterator[bytes]:
    """The JSONL lines of an events file."""
    for m in messages:
        yield m.line()


def bad_lines() -> list[bytes]:
    """Input a real feed will eventually carry; each must be dead-lettered with its reason."""
    ok = {
        "event_id": "bad-1",
        "ts": "2026-11-20T12:00:00Z",
        "content_id": "v-bad",
        "creator_id": "u-bad",
        "region": "US",
        "language": "en",
    }
    return [
        b'{"topic":UPLOADS,"key":"v-bad","value":{"event_id":"bad-0","ts":',  # truncated line
        orjson.dumps(
            {
                "topic": UPLOADS,
                "key": "v-bad",
                "value": {k: v for k, v in ok.items() if k != "creator_id"},
            }
        ),
        orjson.dumps({"topic": REPORTS, "key": "v-bad", "value": {**ok, "report_id": 7}}),
        orjson.dumps({"topic": UPLOADS, "key": "v-bad", "value": {**ok, "schema_version": 9}}),
        orjson.dumps({"topic": UPLOADS, "key": "v-bad", "value": {**ok, "caption": "x" * 70_000}}),
        orjson.dumps({"topic": UPLOADS, "key": "v-other", "value": ok}),
    ]
