"""Policy unit tests: YAML fixtures that policy staff write next to the pack they test.

A fixture file (`policies/tests/*.yaml`) holds a list of tests. Each test gives either a
snapshot of signal values or a short event sequence, and the expected outcome of some rules:

    tests:
      - name: near-certain child-safety score is removed
        region: US                      # optional, default US
        signals: {score_max_child_safety: 0.97}
        expect: {child_safety.model: remove}
      - name: reports alone never remove
        events:
          - {topic: uploads, at: 0}
          - {topic: reports, at: 60, reason: harassment_bullying, reporter: r1}
        expect: {harassment.model_and_reports_remove: none}

An outcome is one of the pack's outcomes, `none`, or `outranked` (the rule matched but a more
severe or more urgent rule won, event sequences only). Unlisted rules are not checked.
"""

from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml

from schemas.common import MODEL_SCORES, REPORTS, UPLOADS
from schemas.outputs import Decision
from signals.catalogue import for_target
from signals.engine import Emit, Engine
from signals.eventtime import format_ts, parse_ts
from signals.pipeline import LocalPipeline
from signals.policy.errors import PolicyError
from signals.policy.model import PolicyPack, Rule

DEFAULTS = {"int": 0, "double": 0.0, "bool": False, "string": ""}
T0 = parse_ts("2026-01-01T00:00:00Z")


@dataclass
class Mismatch:
    """One rule whose outcome differs from the fixture's expectation."""

    rule: str
    expected: str
    got: str
    read: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """The outcome of one fixture test."""

    file: str
    line: int
    name: str
    mismatches: list[Mismatch]

    @property
    def ok(self) -> bool:
        """True when every expectation held."""
        return not self.mismatches


def run_fixtures(
    pack: PolicyPack, sources: dict[str, str]
) -> tuple[list[Result], list[PolicyError]]:
    """Run every test in {file: YAML text}; return results, and errors in the fixtures."""
    results: list[Result] = []
    errors: list[PolicyError] = []
    for fname in sorted(sources):
        try:
            doc = yaml.compose(sources[fname], Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            errors.append(
                PolicyError(
                    fname,
                    (mark.line + 1) if mark else 1,
                    (mark.column + 1) if mark else 1,
                    f"YAML: {exc.problem}",
                )
            )
            continue
        tests = _tests(doc)
        if tests is None:
            errors.append(PolicyError(fname, 1, 1, "a fixture file is a mapping with `tests:`"))
            continue
        for node in tests:
            spec = yaml.SafeLoader("").construct_object(node, deep=True)
            line = node.start_mark.line + 1
            problem = _check(pack, spec)
            if problem:
                errors.append(
                    PolicyError(
                        fname,
                        line,
                        node.start_mark.column + 1,
                        problem,
                        hint="see signals/policy/fixtures.py for the format",
                    )
                )
                continue
            results.append(Result(fname, line, str(spec["name"]), _run(pack, spec)))
    return results, errors


def _tests(doc: yaml.Node | None) -> list[yaml.Node] | None:
    if not isinstance(doc, yaml.MappingNode):
        return None
    for k, v in doc.value:
        if k.value == "tests" and isinstance(v, yaml.SequenceNode):
            return list(v.value)
    return None


def _check(pack: PolicyPack, spec: Any) -> str | None:
    if not isinstance(spec, dict) or "name" not in spec or "expect" not in spec:
        return "each test needs `name`, `expect` and `signals` or `events`"
    if ("signals" in spec) == ("events" in spec):
        return f"test {spec['name']!r} needs exactly one of `signals` or `events`"
    if not isinstance(spec["expect"], dict) or not spec["expect"]:
        return f"test {spec['name']!r}: `expect` maps rule ids to outcomes"
    for rid in spec["expect"]:
        if pack.rule(rid) is None:
            return f"test {spec['name']!r} expects rule {rid!r}, which the pack does not have"
    target = spec.get("target", "content")
    for name in spec.get("signals") or {}:
        if name not in for_target(target):
            return f"test {spec['name']!r} sets unknown {target} signal {name!r}"
    return None


def _run(pack: PolicyPack, spec: dict[str, Any]) -> list[Mismatch]:
    got = _from_snapshot(pack, spec) if "signals" in spec else _from_events(pack, spec)
    out = []
    for rid, expected in spec["expect"].items():
        outcome, read = got.get(rid, ("none", {}))
        if str(expected) != outcome:
            out.append(Mismatch(rid, str(expected), outcome, read))
    return out


def _from_snapshot(pack: PolicyPack, spec: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each expected rule's outcome on the snapshot, evaluated on its own (no conflicts)."""
    region = spec.get("region", "US")
    target = spec.get("target", "content")
    values = {n: DEFAULTS[s.type] for n, s in for_target(target).items()}
    values["region"] = region if target == "content" else values.get("region", "")
    values.update(spec["signals"])
    out = {}
    for rid in spec["expect"]:
        base = pack.rule(rid)
        assert base is not None
        rule = base.for_region(region)
        read = {n: values[n] for n in rule.reads}
        out[rid] = (_outcome(rule, values), read)
    return out


def _outcome(rule: Rule, values: dict[str, Any]) -> str:
    if rule.mode == "disabled" or rule.program.execute(values) is not True:
        return "none"
    if rule.bands:
        band = rule.bands.band(values[rule.bands.signal])
        return "none" if band is None else ("review" if band == "review" else rule.outcome)
    return rule.outcome


def _from_events(pack: PolicyPack, spec: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """What the engine emitted for each rule when the events ran through it in order."""
    pipe = LocalPipeline(Engine(pack))
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    emits: list[Emit] = []
    for i, ev in enumerate(spec["events"]):
        topic, value = _event(ev, i, spec.get("region", "US"))
        emits += pipe.feed(topic, value["content_id"].encode(), orjson.dumps(value))
    for e in [*emits, *pipe.finish()]:
        d = e.record
        if not isinstance(d, Decision) or "signals" not in d.evidence:
            continue  # a ladder step or a reversal: not a rule's decision
        out[d.rule.id] = (d.outcome, d.evidence["signals"])
        for other in d.evidence.get("also_matched", []):
            out.setdefault(other["rule"], ("outranked", {}))
    return out


def _event(ev: dict[str, Any], i: int, region: str) -> tuple[str, dict[str, Any]]:
    topic = ev["topic"]
    base = {
        "event_id": f"fixture-{i}",
        "ts": format_ts(T0 + int(ev.get("at", i)) * 1000),
        "content_id": ev.get("content", "v-test"),
    }
    creator = ev.get("creator", "u-test")
    if topic == UPLOADS:
        return topic, {
            **base,
            "creator_id": creator,
            "region": ev.get("region", region),
            "language": "en",
            "hashtags": ev.get("hashtags", []),
        }
    if topic == REPORTS:
        return topic, {
            **base,
            "creator_id": creator,
            "report_id": f"r-{i}",
            "reporter_id": ev.get("reporter", f"reporter-{i}"),
            "reason": ev.get("reason", "spam"),
            "region": ev.get("region", region),
        }
    if topic == MODEL_SCORES:
        return topic, {
            **base,
            "creator_id": creator,
            "model": "fixture",
            "model_version": "1",
            "scores": ev.get("scores", {}),
        }
    return topic, {
        **base,
        "kind": ev.get("kind", "review"),
        "creator_id": creator,
        "outcome": ev.get("outcome", "not_violating"),
        "reviewer": "fixture",
    }


__all__ = ["Mismatch", "Result", "run_fixtures"]
