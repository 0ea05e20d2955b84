"""When state is swept, and what the sweep does with a stored state.

Sweeping changes no output, whenever it runs: a state past its TTL is started afresh by the
next event for its key anyway (each family's `expired` check), and what the watermark decides
for a trend key is dated by event time (`Engine.on_watermark`). So the drivers may
sweep on their own schedules: in-process, every `EXPIRE_EVERY` (a day) and `RESOLVE_EVERY`
(5 minutes) of event time (`crossed`); the worker on a wall-clock timer (VIGIL_SWEEP_SECONDS),
as a full pass over its tables costs the same however much event time it covers.

The sweep visits every key of every table; most states are alive and nothing waits in them,
and a state's own `triage` says so without decoding it (ContentState.triage and the like).
"""

from signals.eventtime import DAY, MINUTE

# event time between in-process expiry sweeps: a pass over every state, and TTLs are days
EXPIRE_EVERY = DAY
RESOLVE_EVERY = 5 * MINUTE  # ... between passes over trend keys (a detector period)

KEEP = 0  # alive, nothing waits: left as it is
EXPIRED = 1  # past its event-time TTL, nothing waits: deleted without being decoded
DECODE = 2  # must be decoded to tell (events waiting for the region, a trend key)


def crossed(before: int, after: int, every: int) -> bool:
    """Whether event time passed a multiple of `every` going from before to after."""
    return after // every > before // every


def triage_encoded(
    data: bytes,
    now: int,
    ttl: int,
    nothing_waits: bytes,
    holding: tuple[bytes, ...] = (b"[2,",),
) -> int:
    """KEEP, EXPIRED or DECODE for a state encoded as `[version, watermark, ..., waiting]`,
    read from its bytes alone: a version that can hold events (`holding`, its encoding's
    start) ends with `nothing_waits` when nothing waits for the region (version 1 never has
    anything waiting). Decoding every state of a table of millions, every sweep, starved the
    worker."""
    waits = data.startswith(holding) and not data.endswith(nothing_waits)
    first = data.index(b",")
    wm = int(data[first + 1 : data.index(b",", first + 1)])
    if waits or wm == 0:
        return DECODE
    return EXPIRED if now - wm > ttl else KEEP
