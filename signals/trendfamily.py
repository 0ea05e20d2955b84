"""The trend family: one step per trend fact for its key, and what the watermark decides for
keys without newer facts. The engine owns it (Engine.trend) and runs the key's trend rules
through `rules`; the drivers call Engine.on_trend and Engine.on_watermark."""

from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote

from schemas.common import TREND_ALERTS
from schemas.outputs import TrendAlert, TrendKey
from signals import trend
from signals.budget import PageBudget
from signals.decision import stable_id
from signals.emit import Emit
from signals.eventtime import format_ts
from signals.trendgate import CandidateGate

SILENT_PERIODS = 2  # detector periods without a fact after which a key's incident resolves


class Redeliveries(Protocol):
    """What the family counts: facts skipped because the key applied them already."""

    redelivered: int


class TrendFamily:
    """Trend keys: the sketch tier, the detector, incidents and their alerts."""

    def __init__(
        self,
        cfg: trend.TrendConfig,
        lateness: int,
        promote_at: int,
        dashboard_link: str,
        budget: PageBudget,
        counters: Redeliveries,
        rules: Callable[[trend.TrendState, trend.TrendFact], list[Emit]],
    ) -> None:
        self.cfg = cfg
        self.lateness = lateness
        self.promote_at = promote_at  # events in one period before a key gets exact state
        self.dashboard_link = dashboard_link
        self.budget = budget
        self.counters = counters
        self.rules = rules
        # one sketch tier per trend partition: its clock is that partition's, which its facts
        # reach nearly in event-time order however the partitions drain
        self._gates: dict[int, CandidateGate] = {}

    def on_trend(
        self,
        fact: trend.TrendFact,
        state: trend.TrendState | None,
        partition: int = 0,
        settled: int | None = None,
    ) -> tuple[trend.TrendState | None, list[Emit]]:
        """Take one trend fact: it waits in the key's state until the clocks pass it
        (`settled`: the event time up to which no more facts will come; None: at once), and
        what it and the key's other waiting facts then decide goes out (`release`).

        A key without exact state first passes its partition's sketch tier; until it is a
        candidate the returned state is None (nothing to store).
        """
        cfg = self.cfg
        if state is None or state.expired(fact.ts):
            gate = self._gates.get(partition)
            if gate is None:
                gate = self._gates[partition] = CandidateGate(cfg.period, self.promote_at)
            if not gate.admit(fact):
                return None, []  # a rare key: counted in the sketch tier only
            state = trend.TrendState()
            past = gate.history(fact)
            if past is not None:
                state.detector(cfg).seed_quiet(past, cfg.detector)
        if not trend.offer(state, fact):
            self.counters.redelivered += 1
            return state, []
        return state, self.release(state, settled)

    def release(self, state: trend.TrendState, settled: int | None) -> list[Emit]:
        """Apply the key's waiting facts the clocks passed (every one, for None), oldest
        first: each opens, grows or resolves its incident as of its own time, and the trend
        rules (watchlists, escalation policies) run on it, as the detector does."""
        out: list[Emit] = []
        for fact, r in trend.release(state, self.cfg, self.lateness, self.budget, settled):
            page = self._earlier(state, r.earlier)
            page += self._page(state, r, state.wm)
            out += self.rules(state, fact)
            out += page
        return out

    def on_watermark(self, state: trend.TrendState, now: int, settled: int) -> list[Emit]:
        """What the watermark passing a key decides when the key has no newer fact of its own.

        Its periods still in grace close once no fact of theirs can still come (`settled`,
        the content stage's `trend_clock`): a burst that ended inside the grace opens its
        incident, dated when its period could first be judged. And an incident whose key fell
        silent for two periods at the watermark `now` resolves, dated when the silence became
        that long. The drivers call this as their watermark moves on; the dates do not depend
        on when they look, so replay and the worker emit the same alerts whatever their
        sweeps' timing.
        """
        cfg = self.cfg
        if not state.kind:
            return []
        out = self.release(state, settled)  # the facts it passed come first
        closed, opened = trend.settle(state, cfg, settled, self.budget)
        if closed:
            out += self._earlier(state, opened[:-1])
            last = opened[-1] if opened else None
            r = trend.Reading(state, cfg, self.budget, last)
            # judged when its period closed, or when the one before it did (a partial count)
            at = trend.closed_at(last.period if last is not None else r.period - 1, cfg)
            out += self._page(state, r, max(at, state.wm))
        inc = state.incident
        silent_at = state.wm + SILENT_PERIODS * cfg.period
        # silent only once no fact of that stretch can still come: the clocks passed it, and
        # none waits (a backlog's watermark runs hours ahead of a lagging partition's facts)
        if inc is not None and inc.open and min(now, settled) >= silent_at and not state.waiting:
            inc.open = False
            expected = state.detector(cfg).expected(silent_at, cfg.detector)
            out.append(self._alert(state, "resolved", inc, silent_at, 0, expected, 0.0, 0.0, 0))
        return out

    def _earlier(self, state: trend.TrendState, opened: list[trend.Opened]) -> list[Emit]:
        """The pages of periods that opened an incident as they closed, before the newest
        such one: many close at once when their facts could come late, and each is judged as
        it closed (dated then)."""
        cfg, budget = self.cfg, self.budget
        return [
            e
            for o in opened
            for e in self._page(
                state, trend.Reading(state, cfg, budget, o), trend.closed_at(o.period, cfg)
            )
        ]

    def _page(self, state: trend.TrendState, r: trend.Reading, now: int) -> list[Emit]:
        """Open, grow or resolve the key's incident on a reading; the alert it makes, if any.
        An incident is named by the key and the period that opened it."""
        cfg = self.cfg
        inc = state.incident
        status = None
        if r.alerting(cfg):
            opens = stable_id("trend", state.table_key, str(r.period * cfg.period))
            # a period pages once: one that opened an incident while open may close long
            # after (its facts could still come), past the cool-down of its own page
            if inc is None or (
                not inc.open and now - inc.fired_at >= cfg.cooldown and inc.id != opens
            ):
                inc = trend.Incident(opens, r.severity, now)
                status = "firing"
            elif inc.open and r.severity > inc.severity:
                inc.severity = r.severity
                status = "updated"
        elif inc is not None and inc.open and r.ratio < trend.RESOLVE_BELOW:
            inc.open = False
            status = "resolved"
        state.incident = inc
        if status is None or inc is None:
            return []
        return [
            self._alert(
                state,
                status,
                inc,
                now,
                r.observed,
                r.expected,
                r.score,
                r.ratio,
                r.distinct,
                (r.why or None, round(r.band, 3)) if status != "resolved" else None,
            )
        ]

    def _alert(
        self,
        state: trend.TrendState,
        status: str,
        inc: trend.Incident,
        now: int,
        observed: int,
        expected: float,
        score: float,
        ratio: float,
        distinct: int,
        evidence: tuple[str | None, float] | None = None,
    ) -> Emit:
        """The alert for a status change of the key's incident; `evidence`: (why it fired,
        the top of the expected band), for a firing or an update."""
        cfg = self.cfg
        kind, key = state.kind, state.key
        area, region = (
            key.split(":", 1) if kind == "area_region" else (None, None)
        )  # hashtags, sounds and captions span regions
        alert = TrendAlert(
            id=stable_id(inc.id, status, str(inc.severity)),
            incident_id=inc.id,
            ts=format_ts(now),
            key=TrendKey(kind=kind, value=key),  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            severity=trend.SEVERITIES[inc.severity],  # type: ignore[arg-type]
            window_start=format_ts(now - cfg.period),
            window_end=format_ts(now),
            observed=observed,
            expected=round(expected, 3),
            score=round(score, 4),
            growth=round(ratio, 2),
            distinct_creators=distinct,
            first_seen=format_ts(state.first_seen),
            sample_content_ids=state.samples[-8:][::-1],  # the newest first
            top_creators=trend.top_creators(state),
            link=self.dashboard_link.format(kind=kind, value=quote(key), incident_id=inc.id),
            policy_area=area,  # type: ignore[arg-type]
            region=region,
            why=evidence[0] if evidence else None,  # type: ignore[arg-type]
            expected_high=evidence[1] if evidence else None,
            recent=trend.recent(state, now),
        )
        return Emit(TREND_ALERTS, state.table_key, alert)


__all__ = ["SILENT_PERIODS", "TrendFamily"]
