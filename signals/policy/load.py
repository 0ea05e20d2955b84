"""Parse a policy pack from YAML text, validating every rule and compiling each condition once.

Reading the files is the stream layer's job (stream/policyfiles.py): this module is pure.

All errors in a pack are collected and raised together as PolicyPackInvalid, each with file,
line, column and rule id. A pack either loads completely or not at all.
"""

import difflib
import hashlib
import re
from pathlib import PurePath
from typing import Any

import cel
import yaml

from schemas.common import POLICY_AREAS, REGIONS
from signals.catalogue import SAMPLE_SETS, SIGNALS, for_target
from signals.eventtime import parse_duration
from signals.policy.errors import PolicyError, PolicyPackInvalid
from signals.policy.guardrails import Parsed, parse_guardrails
from signals.policy.ladders import parse_strikes
from signals.policy.model import (
    HELD_QUEUE,
    MODES,
    RULE_OUTCOMES,
    TARGETS,
    Bands,
    Guardrails,
    PolicyPack,
    Rule,
    StrikePolicy,
)
from signals.policy.nodes import at as _at
from signals.policy.nodes import known_fields
from signals.policy.nodes import scalar as _scalar
from signals.policy.plain import Predicate, compile_plain

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
FIELDS = (
    "id",
    "version",
    "owner",
    "description",
    "policy_area",
    "target",
    "when",
    "bands",
    "outcome",
    "mode",
    "once_per",
    "queue",
    "priority",
    "min_precision",
    "rearm",
    "regions",
)
SECTIONS = ("rules", "strikes", "guardrails")  # what a policy file may declare
REQUIRED = ("id", "version", "owner", "description", "policy_area", "target", "outcome")
# what a region may override (local law and cultural context differ)
REGION_FIELDS = ("when", "enforce_at", "review_at", "outcome", "mode", "queue", "priority")
TARGET_OUTCOMES = {
    "content": ("label", "age_restrict", "limit_distribution", "remove", "review", "escalate"),
    "creator": ("limit_distribution", "strike", "suspend_creator", "review", "escalate"),
    "trend": ("review", "escalate"),
}
DEFAULT_ONCE_PER = {"content": "lifetime", "creator": "24h", "trend": "24h"}


def parse_pack(sources: dict[str, str], source: str = "<memory>") -> PolicyPack:
    """Compile a pack from {file name: YAML text}."""
    errors: list[PolicyError] = []
    rules: list[Rule] = []
    seen: dict[str, tuple[str, int]] = {}
    strikes: StrikePolicy | None = None
    guardrails: Parsed | None = None
    once: dict[str, tuple[str, int]] = {}  # the sections a pack has one of: where each is
    for fname in sorted(sources):
        parsed = _parse_file(fname, sources[fname])
        errors.extend(parsed.errors)
        for section, line in parsed.singles.items():
            if section in once:
                first = once[section]
                errors.append(
                    PolicyError(
                        fname, line, 1, f"a second `{section}:` section", None,
                        f"the pack's {section} are at {first[0]}:{first[1]}; a pack has one",
                    )
                )  # fmt: skip
                continue
            once[section] = (fname, line)
            if section == "strikes":
                strikes = parsed.strikes
            else:
                guardrails = parsed.guardrails
        for rule, errs in parsed.rules:
            errors.extend(errs)
            if rule is not None:
                if rule.id in seen:
                    prev = seen[rule.id]
                    errors.append(
                        PolicyError(
                            fname,
                            rule.line,
                            1,
                            f"duplicate rule id {rule.id!r}",
                            rule.id,
                            f"first defined at {prev[0]}:{prev[1]}; bump `version` instead of "
                            "copying a rule",
                        )
                    )
                    continue
                seen[rule.id] = (fname, rule.line)
                rules.append(rule)
    if guardrails is not None:
        errors += _unknown_rules(guardrails, {r.id: r for r in rules}, once["guardrails"][0])
        if guardrails.guardrails is not None:
            errors += _undeclared_queues(guardrails.guardrails, rules)
    if not sources:
        errors.append(PolicyError(source, 0, 0, "no policy files (*.yaml) found"))
    if errors:
        raise PolicyPackInvalid(errors, sources)
    digest = hashlib.sha256()
    for fname in sorted(sources):
        digest.update(PurePath(fname).name.encode() + b"\0" + sources[fname].encode() + b"\0")
    return PolicyPack(
        tuple(rules),
        "sha256:" + digest.hexdigest()[:16],
        source,
        strikes,
        guardrails.guardrails if guardrails and guardrails.guardrails else Guardrails(),
    )


def _undeclared_queues(guardrails: Guardrails, rules: list[Rule]) -> list[PolicyError]:
    """Without a default queue, every queue an item can go to is declared: each routing
    rule's (and its regions'), the QA samples' and the breakers' held items'."""
    review = guardrails.review
    if review.default is not None:
        return []
    out = []
    declared = sorted(review.queues)
    hint = (
        "declare it under `guardrails: review: queues:`, or a `default` "
        f"(declared: {', '.join(declared)})"
    )
    for rule in rules:
        for variant in (rule, *rule.regions.values()):
            if variant.queue and variant.queue not in review.queues:
                out.append(
                    PolicyError(
                        rule.file, rule.line, 1,
                        f"rule {rule.id!r} routes to undeclared queue {variant.queue!r}",
                        rule.id, hint,
                    )
                )  # fmt: skip
                break
    wanted = []
    if any(r.acts for r in rules):
        wanted.append((HELD_QUEUE, "held actions go to"))
    sampling = guardrails.sampling
    if sampling.share > 0 or any(v > 0 for v in sampling.rules.values()):
        wanted.append((sampling.queue, "QA samples go to"))
    for name, what in wanted:
        if name not in review.queues:
            out.append(
                PolicyError(
                    guardrails.file, guardrails.line, 1,
                    f"queue {name!r}, which {what}, is not declared", None, hint,
                )
            )  # fmt: skip
    return out


def _unknown_rules(parsed: Parsed, rules: dict[str, Rule], fname: str) -> list[PolicyError]:
    """A breaker names a rule of the pack that can act automatically."""
    out = []
    for rid, node in parsed.rule_nodes:
        rule = rules.get(rid)
        if rule is None:
            close = difflib.get_close_matches(rid, list(rules), 1)
            hint = f"did you mean {close[0]!r}?" if close else "a breaker names a rule by its id"
            out.append(_at(fname, node, f"guardrails for unknown rule {rid!r}", None, hint))
        elif not rule.acts:
            out.append(
                _at(
                    fname, node, f"rule {rid!r} never acts automatically", None,
                    "breakers and QA samples are of automatic actions; this rule only routes",
                )
            )  # fmt: skip
    return out


class _File:
    """What one policy file declares: its rules, and its strike ladders and guardrails if it
    has them."""

    def __init__(self) -> None:
        self.rules: list[tuple[Rule | None, list[PolicyError]]] = []
        self.errors: list[PolicyError] = []
        self.strikes: StrikePolicy | None = None
        self.guardrails: Parsed | None = None
        self.singles: dict[str, int] = {}  # a section a pack has one of -> the line it starts


def _parse_file(fname: str, text: str) -> _File:
    out = _File()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        out.errors.append(PolicyError(fname, line, col, f"YAML: {exc.problem or exc}"))
        return out
    if root is None:
        return out
    keys = _keys(root) if isinstance(root, yaml.MappingNode) else {}
    if not keys or not set(keys) & set(SECTIONS):
        out.errors.append(
            PolicyError(
                fname,
                root.start_mark.line + 1,
                1,
                "a policy file is a mapping of sections: `rules:`, `strikes:`, `guardrails:`",
            )
        )
        return out
    for key, (knode, _) in keys.items():
        if key not in SECTIONS:
            close = difflib.get_close_matches(key, SECTIONS, 1)
            hint = f"did you mean {close[0]!r}?" if close else f"sections: {', '.join(SECTIONS)}"
            out.errors.append(_at(fname, knode, f"unknown policy file section {key!r}", None, hint))
    if "strikes" in keys:
        knode, snode = keys["strikes"]
        out.strikes, errs = parse_strikes(fname, snode)
        out.singles["strikes"] = knode.start_mark.line + 1
        out.errors += errs
    if "guardrails" in keys:
        knode, gnode = keys["guardrails"]
        out.guardrails, errs = parse_guardrails(fname, gnode)
        out.singles["guardrails"] = knode.start_mark.line + 1
        out.errors += errs
    if "rules" in keys:
        rules_node = keys["rules"][1]
        if not isinstance(rules_node, yaml.SequenceNode):
            out.errors.append(_at(fname, rules_node, "`rules` must be a list of rules"))
        else:
            out.rules = [_parse_rule(fname, text, n) for n in rules_node.value]
    return out


def _keys(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {str(k.value): (k, v) for k, v in node.value}


def _parse_rule(fname: str, text: str, node: yaml.Node) -> tuple[Rule | None, list[PolicyError]]:
    if not isinstance(node, yaml.MappingNode):
        return None, [_at(fname, node, "each rule is a mapping of fields (id, version, when, ...)")]
    fields = _keys(node)
    rid_node = fields.get("id", (None, None))[1]
    rid = str(_scalar(rid_node)) if rid_node is not None else None
    reader = _Reader(fname, text, node, rid)
    rule = reader.rule()
    errors = sorted(reader.errors, key=lambda e: (e.line, e.col))  # in the order of the file
    return (None if errors else rule), errors


_MISSING: Any = object()  # a field that failed validation: later checks skip what needs it


class _Reader:
    """Validates one rule mapping, every field and variant, collecting every problem.

    A problem in one field never hides one in another (an unknown outcome used to hide an
    unknown signal until it was fixed): each check records its error and the rest go on,
    skipping only what cannot be judged without the broken value.
    """

    def __init__(self, fname: str, text: str, node: yaml.MappingNode, rid: str | None) -> None:
        self.fname, self.text, self.node, self.rid = fname, text, node, rid
        self.errors: list[PolicyError] = []

    def fail(self, at: yaml.Node, msg: str, hint: str | None = None) -> Any:
        """Record a problem; returns _MISSING, to stand for the value that failed."""
        self.errors.append(_at(self.fname, at, msg, self.rid, hint))
        return _MISSING

    def mapping(
        self, node: yaml.MappingNode, allowed: tuple[str, ...], required: tuple[str, ...], what: str
    ) -> dict[str, tuple[Any, yaml.Node]]:
        """{field: (value, value node)} of the known fields; unknown and missing ones fail."""
        fields = _keys(node)
        known_fields(node, allowed, what, self.fail)
        for key in required:
            if key not in fields:
                self.fail(node, f"{what} is missing required field `{key}`")
        return {k: (_scalar(vn), vn) for k, (_, vn) in fields.items() if k in allowed}

    def rule(self) -> Rule | None:
        v = self.mapping(self.node, FIELDS, REQUIRED, "rule")
        rid, rid_node = v.get("id", (_MISSING, self.node))
        if rid is not _MISSING and (not isinstance(rid, str) or not RULE_ID.match(rid)):
            rid = self.fail(
                rid_node,
                "rule id must be lowercase letters, digits, `.`, `_`, `-`",
                "for example hate.slur_high_confidence",
            )
        version, vnode = v.get("version", (_MISSING, self.node))
        if version is not _MISSING and (
            not isinstance(version, int) or isinstance(version, bool) or version < 1
        ):
            version = self.fail(vnode, "version must be a whole number >= 1")
        owner, description = (self.text_field(v, k) for k in ("owner", "description"))
        area, anode = v.get("policy_area", (_MISSING, self.node))
        if area is not _MISSING and area not in POLICY_AREAS:
            close = difflib.get_close_matches(str(area), POLICY_AREAS, 1)
            area = self.fail(
                anode,
                f"unknown policy area {area!r}",
                f"did you mean {close[0]!r}?" if close else "see schemas/common.py",
            )
        target, tnode = v.get("target", (_MISSING, self.node))
        if target is not _MISSING and target not in TARGETS:
            target = self.fail(
                tnode, f"unknown target {target!r}", f"targets: {', '.join(TARGETS)}"
            )
        once_per: Any = _MISSING
        if target is not _MISSING:
            once_text, onode = v.get("once_per", (DEFAULT_ONCE_PER[target], self.node))
            try:
                once_per = 0 if str(once_text) == "lifetime" else parse_duration(str(once_text))
            except ValueError as exc:
                self.fail(onode, str(exc), "or `lifetime`")
        min_precision, mpnode = v.get("min_precision", (None, self.node))
        if min_precision is not None and (
            isinstance(min_precision, bool)
            or not isinstance(min_precision, int | float)
            or not 0 < min_precision <= 1
        ):
            min_precision = self.fail(
                mpnode, "min_precision must be a number above 0 and at most 1", "for example 0.95"
            )
        rearm = self.rearm(v, target)
        common = {
            "id": rid,
            "rearm_reporters": rearm,
            "min_precision": (
                float(min_precision) if isinstance(min_precision, int | float) else min_precision
            ),
            "version": version,
            "owner": owner,
            "description": description.strip() if description is not _MISSING else "",
            "policy_area": area,
            "target": target,
            "once_per": once_per,
            "file": self.fname,
            "line": self.node.start_mark.line + 1,
        }
        base = self.variant(common, v, None)
        variants = self.regions(common, v)
        if self.errors or base is None:
            return None
        object.__setattr__(base, "regions", variants)
        if rearm is not None and not base.acts:
            self.fail(
                v["rearm"][1],
                "`rearm` is for a rule that takes an automatic action",
                "a rule that only routes to review is not held back by a human clearing",
            )
            return None
        return base

    def regions(
        self, common: dict[str, Any], v: dict[str, tuple[Any, yaml.Node]]
    ) -> dict[str, Rule]:
        """The rule's regional variants, each validated as a whole rule."""
        if "regions" not in v:
            return {}
        regions_node = v["regions"][1]
        if common["target"] == "trend":
            self.fail(
                regions_node,
                "a trend rule cannot have regional overrides",
                "hashtags, sounds and captions span regions; for a policy area x region "
                'key, test it in the condition: trend_key == "hate:DE"',
            )
            return {}
        if not isinstance(regions_node, yaml.MappingNode):
            self.fail(regions_node, "`regions` maps a region code to overrides")
            return {}
        variants = {}
        for knode, onode in regions_node.value:
            code = str(knode.value)
            if code not in REGIONS:
                self.fail(
                    knode,
                    f"unknown region {code!r}",
                    "regions are ISO 3166-1 alpha-2 codes such as DE, IN, BR",
                )
                continue
            if not isinstance(onode, yaml.MappingNode):
                self.fail(onode, f"overrides for {code} must be a mapping")
                continue
            over = self.mapping(onode, REGION_FIELDS, (), f"{code} override")
            variant = self.variant(common, {**v, **over}, code)
            if variant is not None:
                variants[code] = variant
        return variants

    def text_field(self, v: dict[str, tuple[Any, yaml.Node]], k: str) -> Any:
        if k not in v:
            return _MISSING  # reported as a missing required field
        value, node = v[k]
        if not isinstance(value, str) or not value.strip():
            return self.fail(node, f"`{k}` must be a non-empty string")
        return value

    def variant(
        self, common: dict[str, Any], v: dict[str, tuple[Any, yaml.Node]], region: str | None
    ) -> Rule | None:
        """The rule as it applies in one region (None: everywhere without an override); None
        when it has problems (recorded)."""
        before = len(self.errors)
        target = common["target"]
        outcome, onode = v.get("outcome", (_MISSING, self.node))
        if outcome is not _MISSING and outcome not in RULE_OUTCOMES:
            close = difflib.get_close_matches(str(outcome), RULE_OUTCOMES, 1)
            outcome = self.fail(
                onode,
                f"unknown outcome {outcome!r}",
                f"did you mean {close[0]!r}?" if close else f"outcomes: {', '.join(RULE_OUTCOMES)}",
            )
        if (
            outcome is not _MISSING
            and target is not _MISSING
            and (outcome not in TARGET_OUTCOMES[target])
        ):
            self.fail(
                onode,
                f"a {target} rule cannot have outcome {outcome!r}",
                f"{target} outcomes: {', '.join(TARGET_OUTCOMES[target])}",
            )
        mode, mnode = v.get("mode", ("enforce", self.node))
        if mode not in MODES:
            self.fail(mnode, f"unknown mode {mode!r}", f"modes: {', '.join(MODES)}")
        queue, qnode = v.get("queue", (None, self.node))
        priority, pnode = v.get("priority", (None, self.node))
        bands = self.bands(v, target) if target is not _MISSING else None
        if (outcome == "review" or (bands and bands.review_at is not None)) and not queue:
            self.fail(
                qnode if "queue" in v else self.node,
                "a rule that routes to review must name its human review `queue`",
            )
        if queue is not None and not isinstance(queue, str):
            self.fail(qnode, "queue must be a string")
        if priority is not None and (not isinstance(priority, int) or not 1 <= priority <= 5):
            self.fail(pnode, "priority must be 1 (most urgent) to 5")
        if priority is None and (outcome in ("review", "escalate") or bands):
            priority = 3
        when_value, wnode = v.get("when", ("true", self.node))
        compiled = None
        if not isinstance(when_value, str) or not when_value.strip():
            self.fail(wnode, "`when` must be a non-empty CEL condition")
        elif target is not _MISSING:
            compiled = self.compile(wnode, when_value, target)
        if len(self.errors) > before or compiled is None or _MISSING in common.values():
            return None
        program, reads, test = compiled
        if bands and bands.signal not in reads:
            reads = (*reads, bands.signal)
        return Rule(
            **common,
            when=when_value.strip(),
            outcome=outcome,
            mode=mode,
            queue=queue,
            priority=priority,
            reads=reads,
            program=program,
            test=test,
            bands=bands,
            region=region,
        )

    def rearm(self, v: dict[str, tuple[Any, yaml.Node]], target: Any) -> int | None:
        """The new reporters after a human clearing that let the rule act again (None:
        without `rearm`, or with problems, recorded)."""
        if "rearm" not in v:
            return None
        node = v["rearm"][1]
        if target is not _MISSING and target != "content":
            self.fail(node, "`rearm` is for content rules", "a human clears a video, not a creator")
            return None
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, "`rearm` is a mapping: new_reporters", "for example {new_reporters: 5}")
            return None
        fields = self.mapping(node, ("new_reporters",), ("new_reporters",), "rearm")
        if "new_reporters" not in fields:
            return None
        n, nnode = fields["new_reporters"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            self.fail(nnode, "new_reporters must be a whole number >= 1", "for example 5")
            return None
        return n

    def bands(self, v: dict[str, tuple[Any, yaml.Node]], target: str) -> Bands | None:
        """The rule's confidence bands, or None (without any, or with problems, recorded)."""
        if "bands" not in v and "enforce_at" not in v and "review_at" not in v:
            return None
        if "bands" not in v:
            self.fail(self.node, "a region may change band thresholds only of a rule with `bands`")
            return None
        bnode = v["bands"][1]
        if not isinstance(bnode, yaml.MappingNode):
            self.fail(bnode, "`bands` is a mapping: signal, enforce_at, review_at")
            return None
        b = self.mapping(
            bnode, ("signal", "enforce_at", "review_at"), ("signal", "enforce_at"), "bands"
        )
        if "signal" not in b or "enforce_at" not in b:
            return None
        before = len(self.errors)
        signal, snode = b["signal"]
        known = for_target(target)
        if signal not in known or known[signal].type not in ("int", "double"):
            self.fail(
                snode,
                f"band signal {signal!r} is not a numeric {target} signal",
                "bands apply to scores and counts, e.g. score_max_hate",
            )
        enforce_at = v.get("enforce_at", b["enforce_at"])
        review_at = v.get("review_at", b.get("review_at", (None, bnode)))
        for value, node in (enforce_at, review_at):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                self.fail(node, "band thresholds are numbers")
        if len(self.errors) > before:
            return None
        if review_at[0] is not None and review_at[0] > enforce_at[0]:
            self.fail(
                review_at[1],
                f"review band starts at {review_at[0]}, above the enforce band at {enforce_at[0]}",
                "review_at must be <= enforce_at: review sits below auto-enforcement",
            )
            return None
        return Bands(
            signal, float(enforce_at[0]), float(review_at[0]) if review_at[0] is not None else None
        )

    def compile(
        self, node: yaml.Node, when: str, target: str
    ) -> tuple[Any, tuple[str, ...], Predicate | None] | None:
        """Compile a condition: every unknown signal in it is reported, else its type errors."""
        try:
            program = cel.compile(when)
        except ValueError as exc:
            self.fail(node, f"condition does not parse: {str(exc).splitlines()[0]}")
            return None
        known = for_target(target)
        reads = tuple(program.variables())
        unknown = [name for name in reads if name not in known]
        for name in unknown:
            close = difflib.get_close_matches(name, list(known), 3)
            if name in SIGNALS:
                other = SIGNALS[name].target
                hint = f"`{name}` is a {other} signal: use it in a rule with `target: {other}`"
            elif close:
                hint = f"did you mean {', '.join(close)}?"
            else:
                hint = "`vigil signals list` prints every signal"
            self.errors.append(
                _locate(
                    self.fname,
                    self.text,
                    node,
                    name,
                    f"unknown {target} signal `{name}`",
                    self.rid,
                    hint,
                )
            )
        if unknown:
            return None  # their types are unknown, so the condition's types cannot be checked
        for sample_set in SAMPLE_SETS:
            sample = {n: sample_set[known[n].type] for n in reads}
            try:
                result = program.execute(sample)
            except ZeroDivisionError:
                continue  # a value, not a type, problem: counted at run time if it happens
            except (TypeError, RuntimeError, ValueError) as exc:
                if "divide by zero" in str(exc) or "division by zero" in str(exc):
                    continue
                self.fail(
                    node,
                    f"condition has a type error: {str(exc)[:160]}",
                    "counts are int, scores are double; CEL does no implicit arithmetic "
                    "between them (use double(x))",
                )
                return None
            if not isinstance(result, bool):
                self.fail(node, f"condition must be true or false, not {type(result).__name__}")
                return None
        return program, reads, compile_plain(when, {n: known[n].type for n in reads})


def _locate(
    fname: str, text: str, node: yaml.Node, word: str, msg: str, rid: str | None, hint: str
) -> PolicyError:
    """Point at word inside the condition's source text, whatever the YAML scalar style."""
    span = text[node.start_mark.index : node.end_mark.index]
    m = re.search(rf"\b{re.escape(word)}\b", span)
    if not m:
        return _at(fname, node, msg, rid, hint)
    pos = node.start_mark.index + m.start()
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return PolicyError(fname, line, col, msg, rid, hint, len(word))
