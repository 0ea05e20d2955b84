"""Records on vigil's output topics. Every decision is idempotent (deterministic id), explained."""

from typing import Annotated, Any, Literal

import msgspec

from schemas.common import PolicyArea, SchemaVersion

Outcome = Literal[
    "label",
    "age_restrict",
    "limit_distribution",
    "remove",
    "strike",
    "suspend_creator",
    "review",
    "escalate",
    # creator strike ladder steps (signals.ladder)
    "warn",
    "feature_limit",
    "ban_creator",
    # a reversal undoes the decision it names
    "reinstate",
]
TargetType = Literal["content", "creator", "trend", "rule"]


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """What a decision is about; its id is also the Kafka message key."""

    type: TargetType
    id: str


class RuleRef(msgspec.Struct, frozen=True, kw_only=True):
    """The rule and version that produced a decision."""

    id: str
    version: int


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """One decision (topics `enforcement-actions`, `escalations`, `shadow-actions`).

    id is a deterministic hash of rule id, rule version, target and decision window, so a
    redelivered or replayed decision carries the same id. ts is the event time of the event
    that triggered it.

    An escalation with `held_action` is an automatic action its rule's circuit breaker held
    for a human: nothing was enforced. One with target type `rule` pages on-call that the
    breaker of that rule tripped.

    A reversal (kind `reversal`, outcome `reinstate`) undoes the action named by `reverses`:
    a human found the content did not violate, or an appeal was overturned. Downstream
    systems undo that action from this message alone; `strike_removed` says the strike the
    action put on its creator is gone too. Its id is a hash of the id it reverses.
    """

    id: str
    ts: str
    kind: Literal["action", "escalation", "shadow", "reversal"]
    target: Target
    policy_area: PolicyArea
    rule: RuleRef
    outcome: Outcome
    mode: Literal["enforce", "shadow"]
    pack_hash: str
    evidence: dict[str, Any]
    source_event_ids: list[str]
    window: str
    creator_id: str | None = None
    region: str | None = None
    queue: str | None = None
    priority: int | None = None
    # a review item: when it should have been reviewed (signals.triage: its priority's share
    # of its queue's service level after it entered); the queue is served earliest due first
    due: str | None = None
    reverses: str | None = None  # a reversal: the id of the decision it undoes
    strike_removed: bool | None = None  # a reversal: the action's creator strike is removed
    # a temporary measure (a ladder's suspension or feature limit): when it ends
    expires: str | None = None
    # routed to review because the rule's circuit breaker is open: the id of the action it
    # would have been (signals.breaker); the item carries that action's evidence
    held_action: str | None = None
    # a QA sample (queue of the pack's sampling): the id of the enforced action a human is
    # asked to judge, drawn at the pack's share per rule and region; answered by a `qa` review
    sample_of: str | None = None
    schema_version: SchemaVersion = 1


class RuleStatus(msgspec.Struct, frozen=True, kw_only=True):
    """An automatic rule's circuit breaker (topic `rule-state`, compacted, key: rule id).

    Published when the breaker trips or resets, and as each period of its counts closes.
    mode `automatic`: the rule's actions are enforced; `held`: they go to review instead,
    each as an escalation with `held_action`, until a reset by command or a quiet period.
    """

    rule_id: str
    ts: str  # the event time of this status
    mode: Literal["automatic", "held"]
    since: str | None  # when the mode last changed (None: never tripped)
    reason: str | None  # why: cap, cap:<region>, spike, quiet_period, reset: <reason>
    changed_by: str | None  # who reset it by command
    rate_hour: int  # would-be actions in the last hour
    normal_hour: float  # what the rule's own history expects in an hour
    cap: int | None  # max_actions_per_hour, if the pack sets one
    held: int  # actions held since it last tripped
    passed: int  # actions enforced, ever
    trips: int
    model_versions: dict[str, int]  # behind the would-be actions of the last hour
    examples: list[str]  # content ids of the newest would-be actions
    schema_version: SchemaVersion = 1


class QueueStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A human review queue (topic `review-queues`, compacted, key: queue name).

    Read off the items routed to it and the human outcomes that cleared them (signals.queues),
    as of event time `ts`, against the pack's capacity and service level. `overflow`: items
    beyond what the queue's reviewers clear within its service level at its capacity;
    `past_due`: items waiting past their due time. Nothing is dropped: both stay in the queue.
    """

    queue: str
    ts: str
    depth: int  # items waiting
    by_priority: dict[str, int]  # "1" (most urgent) .. "5": items waiting
    oldest_entered: str | None  # when the oldest waiting item entered (to 5 minutes)
    oldest_wait_seconds: int
    past_due: int
    overflow: int
    capacity_per_hour: int
    service_level_seconds: int
    entered_last_hour: int  # in the last whole hour of event time
    cleared_last_hour: int
    entered_24h: int
    cleared_24h: int
    cleared_late_24h: int  # cleared after their due time
    expired: int  # left uncleared for a week: gone from the counts
    schema_version: SchemaVersion = 1


class TrendKey(msgspec.Struct, frozen=True, kw_only=True):
    """A trend key: what is spiking."""

    kind: Literal["hashtag", "audio", "caption", "area_region"]
    value: str


class OncallAction(msgspec.Struct, frozen=True, kw_only=True):
    """What an on-call person did about a trend alert (topic `oncall-actions`, compacted, key
    `ack:<incident_id>` or `snooze:<kind>:<value>`): every worker's page shows it and every
    worker's notifier heeds it.

    `ack`: someone is on the incident; its updates page nobody (a new incident, and its
    resolution, still do). `snooze`: the trend key pages nobody until `until`. `at` and
    `until` are wall-clock times (on-call acts in real time); `by` and `reason` say who and why.
    """

    kind: Literal["ack", "snooze"]
    at: str
    by: str
    reason: str
    incident_id: str | None = None  # ack
    key: TrendKey | None = None  # snooze
    until: str | None = None  # snooze
    schema_version: SchemaVersion = 1


class TrendAlert(msgspec.Struct, frozen=True, kw_only=True):
    """An emerging trend (topic `trend-alerts`), with the evidence an on-call person needs.

    incident_id is stable for one spike of one key; id is unique per message (incident, status,
    severity), so a redelivered alert is recognisable and an update is not a repeat page.
    """

    id: str
    incident_id: str
    ts: str
    key: TrendKey
    status: Literal["firing", "updated", "resolved"]
    severity: Literal["low", "medium", "high", "critical"]
    window_start: str
    window_end: str
    observed: int
    expected: float
    score: float
    growth: float
    distinct_creators: int
    first_seen: str
    sample_content_ids: list[str]
    top_creators: list[str]
    link: str = ""  # the dashboard view of this incident (VIGIL_DASHBOARD_LINK template)
    policy_area: PolicyArea | None = None
    region: str | None = None
    # the evidence: why it fired, the top of the expected band (the most the key could have
    # had without paging), and its count per minute over the last hour (a sparkline)
    why: Literal["spike", "ramp", "new_key"] | None = None
    expected_high: float | None = None
    recent: list[int] = msgspec.field(default_factory=list)
    schema_version: SchemaVersion = 1


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A message vigil could not accept (topic `dead-letter`), with what it takes to repair it.

    It always fits in a Kafka message: `original_b64` holds at most the first
    DEAD_LETTER_KEEP_BYTES (64 KiB, the input size limit) of the original, so every message
    vigil could have accepted is kept whole; `original_truncated` says when it is a prefix, and
    `original_size`, `original_sha256` and topic, partition and offset (or line) find the rest.
    Reason `output_refused` is an output record the broker would not take (too large): the
    output itself, bounded the same way, with `source_topic` naming the output topic.
    """

    id: Annotated[str, msgspec.Meta(description="unique per occurrence, stable across redelivery")]
    source_topic: str
    reason: Literal[
        "oversized",
        "malformed_json",
        "invalid_field",
        "unknown_schema_version",
        "key_mismatch",
        "unknown_topic",
        "invalid_envelope",
        "future_timestamp",
        "stale_timestamp",
        "too_deep",
        "output_refused",
    ]
    detail: Annotated[
        str,
        msgspec.Meta(description="names the field and the rule it broke, never the field's value"),
    ]
    original_b64: str
    original_size: int
    original_sha256: str = ""
    original_truncated: bool = False
    key_b64: Annotated[
        str | None,
        msgspec.Meta(
            description="the original's Kafka key (its first 1 KiB), base64; null when keyless"
        ),
    ] = None
    partition: int | None = None
    offset: int | None = None
    line: int | None = None
    schema_version: SchemaVersion = 1
