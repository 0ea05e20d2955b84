"""vigil's delivery guarantee: what happens to a batch between its fetch and its commit.

1. Apply (stream/worker/runtime.py): the batch's records are decoded, folded into their
   keys' states and run through the rules; each touched state is written to its table's
   store, not yet to its changelog, and its changelog record waits in the batch's outbox.
2. Ledger check: a decision, an enforcement-quality fact or a review queue's fact whose id the
   ledger already holds went out before a crash and a redelivery; it is dropped (a decision
   counted as a duplicate). Quality and queue facts are counted where they land, so a
   repeated one would count twice.
3. Outputs: decisions, trend alerts, dead letters and the re-keyed facts are sent, one record
   batch per partition (stream/worker/outbox.py), and every ack awaited.
4. Ledger record: the ids just acknowledged.
5. Changelogs: the batch's state changes are sent and acknowledged; each store learns the
   newest changelog offset it holds.
6. Acknowledge: the batch's offsets are acknowledged to Faust, a partition at a time, in
   offset order (stream/worker/transport/fetch.py); one batch's publish is in flight at a time.
7. Commit: Faust commits acknowledged offsets (stream/worker/transport/offsets.py keeps its
   bookkeeping free of duplicates).

A crash anywhere leaves the input uncommitted, so a restart applies it again:
- before 3: nothing went out; the restart makes the same decisions, ids included;
- between 3 and 5: the outputs are out but the changelog is behind; the restored state
  lacks the batch, which is applied again, and the ledger (2) drops the decisions already
  sent. A changelog record is never durable without its outputs: a state that says a rule
  fired, restored without the decision, would never make it again;
- between 5 and 7: state and outputs are durable; redelivered events are recognised by the
  event ids each state keeps and change nothing.
A failed publish marks the store as holding states the changelog lacks; the next start
rebuilds it from the changelog (stream/worker/tables.py, `discard_if_dirty`).
"""

from collections.abc import Sequence
from typing import Any

import msgspec

from schemas.common import DEAD_LETTER, RULE_STATE, TREND_ALERTS
from signals.engine import Emit
from signals.quality import QualityFact
from signals.reviewitems import QueueFact
from stream import metrics
from stream.config import Settings
from stream.topics import QUALITY_FACTS, QUEUE_FACTS
from stream.worker.ledger import Ledger
from stream.worker.outbox import Outbox
from stream.worker.tables import Written, persisted

_encode = msgspec.json.Encoder().encode
UNLEDGERED = frozenset({DEAD_LETTER, RULE_STATE})


async def publish(
    box: Outbox,
    emits: Sequence[Emit],
    written: Written,
    producer: Any,
    ledger: Ledger,
    settings: Settings,
    quality: Sequence[QualityFact | QueueFact] = (),
) -> list[Emit]:
    """Steps 2 to 5 for an applied batch: the emits that went out (none the ledger knew),
    and its quality and queue facts the ledger did not know."""
    # 2. ledger check (a dead letter, and a breaker's status on its compacted topic, may
    # go out twice harmlessly: neither has an id of its own)
    keyed = [e for e in emits if e.topic not in UNLEDGERED]
    fresh = await ledger.unseen([e.record.id for e in keyed] + [_fact_key(f) for f in quality])  # type: ignore[attr-defined]
    fresh_facts = [f for f, new in zip(quality, fresh[len(keyed) :], strict=True) if new]
    fresh = fresh[: len(keyed)]
    facts_topics = {
        QualityFact: settings.topic(QUALITY_FACTS),
        QueueFact: settings.topic(QUEUE_FACTS),
    }
    for f in fresh_facts:
        box.add_fact(facts_topics[type(f)], f.table_key.encode(), list(f.fields()))
    known = {id(e) for e, new in zip(keyed, fresh, strict=True) if not new}
    sent = []
    for e in emits:
        if id(e) in known:
            metrics.DUPLICATES.inc()
            continue
        box.add(settings.topic(e.topic), e.key.encode(), _encode(e.record))
        sent.append(e)
        if e.topic == TREND_ALERTS:
            metrics.TREND_ALERTS.labels(status=e.record.status).inc()  # type: ignore[attr-defined]
        elif e.topic not in UNLEDGERED:
            metrics.DECISIONS.labels(topic=e.topic, rule=e.record.rule.id).inc()  # type: ignore[attr-defined]
    dead = settings.topic(DEAD_LETTER)
    # 3. outputs, then 4. the ledger, then 5. changelogs
    await box.send_outputs(producer, dead)
    await ledger.record(
        [e.record.id for e in sent if e.topic not in UNLEDGERED]  # type: ignore[attr-defined]
        + [_fact_key(f) for f in fresh_facts]
    )
    persisted(written, await box.send_changelogs(producer, dead))
    return sent


def _fact_key(fact: QualityFact | QueueFact) -> str:
    """A quality or queue fact's ledger key. A quality fact's id may be its decision's (a
    `decided` fact), and the decision may go out from another family's batch (an automatic
    action, from its rule's breaker): apart, neither hides the other."""
    return ("q:" if isinstance(fact, QualityFact) else "rq:") + fact.id
