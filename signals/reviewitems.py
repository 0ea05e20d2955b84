"""The review family: the items waiting in human review queues, met by the reviews that clear
them.

An item enters a queue when vigil routes a video or a creator to review, holds an automatic
action at its rule's breaker, or draws an action for QA. It leaves when a human outcome clears
it. The item and the outcome are made in different families (the breaker's items on the rule
family, reviews on the content family), so both travel as `ItemFact`s to this family, keyed
where they meet: an item about a video under the video (a review naming only the video and
area clears it), any other item under its own id (only a review naming it can clear it); a
review goes to its video's key, and to the key of the item it names. Kafka may deliver a
review before the item it clears, so the join is symmetric, as the quality join is: an
outcome is remembered and clears an item that comes later but entered no later than it.

Each entry and exit becomes a `QueueFact` for the queue family (signals.queues), which sums
them per queue. An item leaves its queue at the earliest outcome that clears it, whatever
order they arrive in: an earlier one arriving after a later one moves the exit (`moved`). A
redelivered item fact is recognised by its id, open or recently cleared.
"""

from typing import Any, NamedTuple

from signals import records
from signals.eventtime import DAY, parse_ts
from signals.sweeping import EXPIRED, KEEP

TTL = 7 * DAY  # an item nobody cleared for a week has left its queue (signals.queues too)
OUTCOMES_KEPT = 16  # human outcomes a key remembers for the items still to come
CLEARED_KEPT = 32  # cleared item ids a key remembers, so a redelivered one stays cleared

ITEM = "item"  # an item entered its queue
OUTCOME = "outcome"  # a human outcome on the key's video (or naming the key's item)

ROUTED, HELD, QA = "routed", "held", "qa"  # what an item is: QA items are cleared by qa reviews


def content_key(content_id: str) -> str:
    """The family key of a video's items and of the reviews of it."""
    return "content:" + content_id


def item_key(item_id: str) -> str:
    """The family key of an item about no video (a creator, a trend key), and of a review
    naming it."""
    return "item:" + item_id


class ItemFact(NamedTuple):
    """An item that entered a queue, or a human outcome that may clear items.

    item: `id` the item's (the escalation's id), `queue`, `ts` when it entered, its `area`,
    `priority` and `due` (signals.triage), `ref` the action it stands for (held_action,
    sample_of) and `sort` (routed, held, qa). outcome: `id` the review's event id, `queue`
    its kind (review, appeal, qa), `ts` its time, `area` its policy area or "", `ref` the
    action or item it names or "".
    """

    kind: str
    key: str
    ts: int
    id: str
    queue: str
    area: str = ""
    priority: int = 0
    due: int = 0
    ref: str = ""
    sort: str = ""

    def fields(self) -> records.ItemFields:
        return (
            self.kind,
            self.key,
            self.ts,
            self.id,
            self.queue,
            self.area,
            self.priority,
            self.due,
            self.ref,
            self.sort,
        )


class QueueFact(NamedTuple):
    """An item's entry (`in`) into its queue, its exit (`out`: a human cleared it at ts), or
    an exit moved earlier (`moved`: an earlier clearing came later, from `was` to ts)."""

    id: str  # deterministic: the ledger drops one that went out before a crash
    queue: str
    kind: str
    entered: int
    priority: int
    due: int
    ts: int
    was: int = 0

    @property
    def table_key(self) -> str:
        """The queue family's key: every fact of one queue goes to one partition."""
        return self.queue

    def fields(self) -> records.QueueFields:
        return (
            self.id, self.queue, self.kind, self.entered, self.priority, self.due, self.ts,
            self.was,
        )  # fmt: skip


# an open item: (id, queue, entered, area, priority, due, ref, sort)
Item = tuple[str, str, int, str, int, int, str, str]
# a remembered outcome: (event id, ts, kind, area, ref)
Outcome = tuple[str, int, str, str, str]


def clears(o: Outcome, item: Item) -> bool:
    """Whether a human outcome clears an item: a review clears the routed and held items it
    is about (the one it names, or, naming none, those of its area or of every area), a qa
    review the QA items it is about; an appeal clears none (it answers no queue of vigil's)
    and no outcome clears an item that entered after it."""
    _, ts, kind, area, ref = o
    iid, _, entered, iarea, _, _, iref, sort = item
    if ts < entered or kind == "appeal" or (kind == QA) != (sort == QA):
        return False
    if ref:
        return ref in (iid, iref)
    return not area or area == iarea


class ItemsState:
    """The open items of one key, the outcomes it heard of lately, the items it cleared."""

    __slots__ = ("cleared", "items", "outcomes", "wm")

    def __init__(self) -> None:
        self.wm = 0  # newest fact time
        self.items: list[Item] = []
        self.outcomes: list[Outcome] = []
        self.cleared: list[tuple[int, Item]] = []  # (when, item), the newest CLEARED_KEPT

    def apply(self, f: ItemFact) -> list[QueueFact]:
        """Fold one fact; the queue facts of the items it put in or cleared."""
        if f.ts > self.wm:
            self.wm = f.ts
        if f.kind == ITEM:
            return self._enter(f)
        o: Outcome = (f.id, f.ts, f.queue, f.area, f.ref)
        if any(known[0] == o[0] for known in self.outcomes):
            return []  # redelivered
        self.outcomes.append(o)
        del self.outcomes[:-OUTCOMES_KEPT]
        out = [self._clear(i, f.ts) for i in [i for i in self.items if clears(o, i)]]
        for n, (when, item) in enumerate(self.cleared):
            if f.ts < when and clears(o, item):  # it left earlier than was known
                self.cleared[n] = (f.ts, item)
                iid, queue, entered, _, prio, due, _, _ = item
                out.append(
                    QueueFact(f"{iid}:out@{f.ts}", queue, "moved", entered, prio, due, f.ts, when)
                )
        return out

    def _enter(self, f: ItemFact) -> list[QueueFact]:
        if any(c[1][0] == f.id for c in self.cleared) or any(i[0] == f.id for i in self.items):
            return []  # redelivered
        item: Item = (f.id, f.queue, f.ts, f.area, f.priority, f.due, f.ref, f.sort)
        entered = QueueFact(f.id + ":in", f.queue, "in", f.ts, f.priority, f.due, f.ts)
        self.items.append(item)
        by = [o for o in self.outcomes if clears(o, item)]
        if not by:
            return [entered]
        first = min(by, key=lambda o: (o[1], o[0]))  # cleared by the earliest: any order
        return [entered, self._clear(item, first[1])]

    def _clear(self, item: Item, ts: int) -> QueueFact:
        self.items.remove(item)
        self.cleared.append((ts, item))
        del self.cleared[:-CLEARED_KEPT]
        iid, queue, entered, _, prio, due, _, _ = item
        return QueueFact(iid + ":out", queue, "out", entered, prio, due, ts)

    def expired(self, now: int) -> bool:
        return now - self.wm > TTL

    @staticmethod
    def triage(data: bytes, now: int) -> int:
        """The sweep's verdict on a stored state: EXPIRED past its TTL, else KEEP."""
        return EXPIRED if now - records.review_items(data).wm > TTL else KEEP

    def encode(self) -> bytes:
        return records.encode(records.ItemsV1(self.wm, self.items, self.outcomes, self.cleared))

    @classmethod
    def decode(cls, data: bytes) -> "ItemsState":
        r = records.review_items(data)
        s = cls()
        s.wm = r.wm
        s.items = [tuple(i) for i in r.items]  # type: ignore[misc]
        s.outcomes = [tuple(o) for o in r.outcomes]  # type: ignore[misc]
        s.cleared = [(when, tuple(i)) for when, i in r.cleared]  # type: ignore[misc]
        return s


def entered(d: Any, ts: int, sort: str, ref: str = "") -> ItemFact:
    """The item fact of a review item (a Decision routed to a queue) entering at ts."""
    key = content_key(d.target.id) if d.target.type == "content" else item_key(d.id)
    due = parse_ts(d.due) if d.due else 0
    return ItemFact(ITEM, key, ts, d.id, d.queue, d.policy_area, d.priority or 0, due, ref, sort)


def outcome_facts(review: Any, ts: int) -> list[ItemFact]:
    """The item facts of a human outcome (a schemas.inputs.Review): to its video's key, and
    to the key of the item it names. Appeals clear no queue of vigil's: none."""
    if review.kind == "appeal":
        return []
    area, ref = review.policy_area or "", review.action_id or ""
    keys = [content_key(review.content_id)]
    if ref:
        keys.append(item_key(ref))
    return [ItemFact(OUTCOME, k, ts, review.event_id, review.kind, area, ref=ref) for k in keys]


__all__ = [
    "HELD",
    "ITEM",
    "OUTCOME",
    "QA",
    "ROUTED",
    "TTL",
    "ItemFact",
    "ItemsState",
    "QueueFact",
    "clears",
    "content_key",
    "entered",
    "item_key",
    "outcome_facts",
]
