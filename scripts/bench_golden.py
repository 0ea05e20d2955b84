"""`make bench`, golden sets: evaluation speed and a threshold sweep against replaying per point.

A sweep runs the events once and re-evaluates the rule's condition on the kept snapshots; the
alternative it replaces replays every item once per grid point. Both are measured in the same
run (best of interleaved rounds), the latter as grid points x one evaluation.
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signals.golden import evaluate  # noqa: E402
from signals.sweep import sweep, thresholds  # noqa: E402
from stream.config import SHIPPED_POLICIES  # noqa: E402
from stream.demo.golden import golden_set  # noqa: E402
from stream.policyfiles import load_pack  # noqa: E402

ITEMS = 3000
GRID = 40
RULE = "hate.corroborated_review"
ROUNDS = 3


def section() -> str:
    pack = load_pack(SHIPPED_POLICIES)
    _, items = golden_set(ITEMS, seed=7)
    rule = pack.rule(RULE)
    assert rule is not None
    chosen = thresholds(rule)
    evals, sweeps = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = evaluate(pack, items)
        evals.append(time.perf_counter() - start)
        start = time.perf_counter()
        for t in chosen:
            sweep(result, rule, t, 0.95, GRID)
        sweeps.append((time.perf_counter() - start) / len(chosen))
    one_eval, one_sweep = min(evals), min(sweeps)
    points = len(sweep(result, rule, chosen[0], 0.95, GRID).points)
    events = sum(len(i.events) for i in items)
    naive = points * one_eval
    return f"""## Golden sets (`make bench`)

The sample golden set of {ITEMS:,} items ({events:,} events), the shipped pack, one core,
best of {ROUNDS} interleaved rounds:

| what | time | rate |
|---|---|---|
| `vigil golden eval`'s evaluation: every item through the engine, snapshots kept \
| {one_eval * 1000:,.0f} ms | {ITEMS / one_eval:,.0f} items/s |
| a sweep of one threshold of `{RULE}` over {points} grid points, from the snapshots \
| {one_sweep * 1000:,.1f} ms | {points * ITEMS / one_sweep:,.0f} item-points/s |
| the same sweep replaying the events at every grid point ({points} x the evaluation) \
| {naive * 1000:,.0f} ms | {points * ITEMS / naive:,.0f} item-points/s |
| **sweep from snapshots against replaying per point** | **{naive / one_sweep:,.0f}x faster** | |
"""


if __name__ == "__main__":
    print(section())
