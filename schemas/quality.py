"""Enforcement quality (topic `enforcement-quality`, compacted): one record per rule, rule
version, policy area, region and pack, holding its figures by day of event time.

Counts and latency histograms are sums, so records of several keys (or workers) add up. A
histogram maps a bucket b to the number of latencies in (gamma^(b-1), gamma^b] seconds.
"""

from typing import Annotated

import msgspec

from schemas.common import SchemaVersion


class QualityDay(msgspec.Struct, frozen=True, kw_only=True):
    """One UTC day of a key's figures."""

    day: Annotated[str, msgspec.Meta(description="YYYY-MM-DD, UTC, of event time")]
    counts: Annotated[
        dict[str, int],
        msgspec.Meta(
            description=(
                "actions, routed, shadow, judged, upheld, reviews, reviews_violating, appeals, "
                "appeals_overturned, agree_vv, agree_vn, agree_nv, agree_nn, reports, reported, "
                "reported_actioned, sampled (QA samples drawn of the key's actions), "
                "sample_judged, sample_upheld (their `qa` reviews)"
            )
        ),
    ]
    to_action: Annotated[
        dict[str, int], msgspec.Meta(description="first evidence to decision: bucket -> count")
    ]
    to_review: Annotated[
        dict[str, int], msgspec.Meta(description="decision to first human outcome: bucket -> count")
    ]


class EnforcementQuality(msgspec.Struct, frozen=True, kw_only=True):
    """The figures of one key, as of its newest fact."""

    key: str
    rule: Annotated[str, msgspec.Meta(description="rule id; `-` for area-level report figures")]
    rule_version: int
    policy_area: str
    region: Annotated[str, msgspec.Meta(description="ISO 3166-1 alpha-2, or `-` if not known")]
    pack_hash: str
    as_of: Annotated[str, msgspec.Meta(description="event time of the newest fact (RFC 3339)")]
    days: list[QualityDay]
    histogram_gamma: float = 1.05
    schema_version: SchemaVersion = 1
