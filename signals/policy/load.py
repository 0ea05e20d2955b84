"""Load a policy pack from YAML, validating every rule and compiling each condition once.

All errors in a pack are collected and raised together as PolicyPackInvalid, each with file,
line, column and rule id. A pack either loads completely or not at all.
"""

import difflib
import hashlib
import re
from pathlib import Path
from typing import Any

import cel
import yaml

from schemas.common import POLICY_AREAS
from signals.catalogue import SAMPLE_VALUES, SIGNALS, for_target
from signals.eventtime import parse_duration
from signals.policy.errors import PolicyError, PolicyPackInvalid
from signals.policy.model import MODES, OUTCOMES, TARGETS, PolicyPack, Rule

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
FIELDS = (
    "id", "version", "owner", "description", "policy_area", "target", "when", "outcome", "mode",
    "once_per", "queue", "priority",
)
REQUIRED = ("id", "version", "owner", "description", "policy_area", "target", "when", "outcome")
TARGET_OUTCOMES = {
    "content": ("label", "age_restrict", "limit_distribution", "remove", "review", "escalate"),
    "creator": ("limit_distribution", "strike", "suspend_creator", "review", "escalate"),
}
DEFAULT_ONCE_PER = {"content": "lifetime", "creator": "24h"}


def load_pack(directory: str | Path) -> PolicyPack:
    """Read every *.yaml / *.yml file in directory (sorted) and compile the pack."""
    root = Path(directory)
    if not root.is_dir():
        raise PolicyPackInvalid(
            [PolicyError(str(root), 0, 0, "policy directory does not exist")], {}
        )
    files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    sources = {str(p): p.read_text(encoding="utf-8") for p in files}
    return parse_pack(sources, source=str(root))


def parse_pack(sources: dict[str, str], source: str = "<memory>") -> PolicyPack:
    """Compile a pack from {file name: YAML text}."""
    errors: list[PolicyError] = []
    rules: list[Rule] = []
    seen: dict[str, tuple[str, int]] = {}
    for fname in sorted(sources):
        for rule, err in _parse_file(fname, sources[fname]):
            if err is not None:
                errors.append(err)
            elif rule is not None:
                if rule.id in seen:
                    prev = seen[rule.id]
                    errors.append(PolicyError(
                        fname, rule.line, 1, f"duplicate rule id {rule.id!r}", rule.id,
                        f"first defined at {prev[0]}:{prev[1]}; bump `version` instead of "
                        "copying a rule",
                    ))
                    continue
                seen[rule.id] = (fname, rule.line)
                rules.append(rule)
    if not sources:
        errors.append(PolicyError(source, 0, 0, "no policy files (*.yaml) found"))
    if errors:
        raise PolicyPackInvalid(errors, sources)
    digest = hashlib.sha256()
    for fname in sorted(sources):
        digest.update(Path(fname).name.encode() + b"\0" + sources[fname].encode() + b"\0")
    return PolicyPack(tuple(rules), "sha256:" + digest.hexdigest()[:16], source)


def _parse_file(fname: str, text: str) -> list[tuple[Rule | None, PolicyError | None]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return [(None, PolicyError(fname, line, col, f"YAML: {exc.problem or exc}"))]
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode) or "rules" not in _keys(root):
        return [(None, PolicyError(
            fname, root.start_mark.line + 1, 1, "a policy file is a mapping with a `rules:` list",
        ))]
    rules_node = _keys(root)["rules"][1]
    if not isinstance(rules_node, yaml.SequenceNode):
        return [(None, _at(fname, rules_node, "`rules` must be a list of rules"))]
    return [_parse_rule(fname, text, n) for n in rules_node.value]


def _keys(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {str(k.value): (k, v) for k, v in node.value}


def _at(fname: str, node: yaml.Node, msg: str, rule_id: str | None = None,
        hint: str | None = None) -> PolicyError:
    width = max(1, node.end_mark.column - node.start_mark.column) if (
        node.start_mark.line == node.end_mark.line) else 1
    return PolicyError(fname, node.start_mark.line + 1, node.start_mark.column + 1, msg, rule_id,
                       hint, width)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


class _RuleErrors(Exception):
    def __init__(self, err: PolicyError) -> None:
        self.err = err


def _parse_rule(fname: str, text: str, node: yaml.Node) -> tuple[Rule | None, PolicyError | None]:
    if not isinstance(node, yaml.MappingNode):
        return None, _at(fname, node, "each rule is a mapping of fields (id, version, when, ...)")
    fields = _keys(node)
    rid_node = fields.get("id", (None, None))[1]
    rid = str(_scalar(rid_node)) if rid_node is not None else None
    try:
        return _build_rule(fname, text, node, fields, rid), None
    except _RuleErrors as e:
        return None, e.err


def _build_rule(fname: str, text: str, node: yaml.MappingNode,
                fields: dict[str, tuple[yaml.Node, yaml.Node]], rid: str | None) -> Rule:
    def fail(at: yaml.Node, msg: str, hint: str | None = None) -> _RuleErrors:
        return _RuleErrors(_at(fname, at, msg, rid, hint))

    for key, (knode, _) in fields.items():
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, 1)
            hint = f"did you mean {close[0]!r}?" if close else f"fields are {', '.join(FIELDS)}"
            raise fail(knode, f"unknown field {key!r}", hint)
    for key in REQUIRED:
        if key not in fields:
            raise fail(node, f"rule is missing required field `{key}`")
    v = {k: _scalar(vn) for k, (_, vn) in fields.items()}

    def field_node(k: str) -> yaml.Node:
        return fields[k][1]

    if not isinstance(v["id"], str) or not RULE_ID.match(v["id"]):
        raise fail(field_node("id"), "rule id must be lowercase letters, digits, `.`, `_`, `-`",
                   "for example hate.slur_high_confidence")
    if not isinstance(v["version"], int) or isinstance(v["version"], bool) or v["version"] < 1:
        raise fail(field_node("version"), "version must be a whole number >= 1")
    for k in ("owner", "description", "when"):
        if not isinstance(v[k], str) or not v[k].strip():
            raise fail(field_node(k), f"`{k}` must be a non-empty string")
    if v["policy_area"] not in POLICY_AREAS:
        close = difflib.get_close_matches(str(v["policy_area"]), POLICY_AREAS, 1)
        raise fail(field_node("policy_area"), f"unknown policy area {v['policy_area']!r}",
                   f"did you mean {close[0]!r}?" if close else "see schemas/common.py")
    target = v["target"]
    if target not in TARGETS:
        raise fail(field_node("target"), f"unknown target {target!r}",
                   f"targets are {', '.join(TARGETS)}")
    outcome = v["outcome"]
    if outcome not in OUTCOMES:
        close = difflib.get_close_matches(str(outcome), OUTCOMES, 1)
        raise fail(field_node("outcome"), f"unknown outcome {outcome!r}",
                   f"did you mean {close[0]!r}?" if close else f"outcomes: {', '.join(OUTCOMES)}")
    if outcome not in TARGET_OUTCOMES[target]:
        raise fail(field_node("outcome"), f"a {target} rule cannot have outcome {outcome!r}",
                   f"{target} outcomes: {', '.join(TARGET_OUTCOMES[target])}")
    mode = v.get("mode", "enforce")
    if mode not in MODES:
        raise fail(field_node("mode"), f"unknown mode {mode!r}", f"modes: {', '.join(MODES)}")
    once_text = str(v.get("once_per", DEFAULT_ONCE_PER[target]))
    try:
        once_per = 0 if once_text == "lifetime" else parse_duration(once_text)
    except ValueError as exc:
        raise fail(field_node("once_per"), str(exc), "or `lifetime`") from None
    queue, priority = v.get("queue"), v.get("priority")
    if outcome == "review" and not queue:
        raise fail(node, "a `review` rule must name its human review `queue`")
    if queue is not None and not isinstance(queue, str):
        raise fail(field_node("queue"), "queue must be a string")
    if priority is not None and (not isinstance(priority, int) or not 1 <= priority <= 5):
        raise fail(field_node("priority"), "priority must be 1 (most urgent) to 5")
    if outcome in ("review", "escalate") and priority is None:
        priority = 3
    program, reads = _compile(fname, text, field_node("when"), v["when"], target, rid)
    return Rule(
        id=v["id"], version=v["version"], owner=v["owner"], description=v["description"].strip(),
        policy_area=v["policy_area"], target=target, when=v["when"].strip(), outcome=outcome,
        mode=mode, once_per=once_per, queue=queue, priority=priority, reads=reads, file=fname,
        line=node.start_mark.line + 1, program=program,
    )


def _compile(fname: str, text: str, node: yaml.Node, when: str, target: str,
             rid: str | None) -> tuple[Any, tuple[str, ...]]:
    try:
        program = cel.compile(when)
    except ValueError as exc:
        first = str(exc).split("\n")[0]
        raise _RuleErrors(_at(fname, node, f"condition does not parse: {first}", rid)) from None
    known = for_target(target)
    reads = tuple(program.variables())
    for name in reads:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), 3)
            if name in SIGNALS:
                other = SIGNALS[name].target
                hint = f"`{name}` is a {other} signal: use it in a rule with `target: {other}`"
            elif close:
                hint = f"did you mean {', '.join(close)}?"
            else:
                hint = "`vigil signals list` prints every signal"
            raise _RuleErrors(_locate(fname, text, node, name, f"unknown {target} signal "
                                      f"`{name}`", rid, hint))
    sample = {n: SAMPLE_VALUES[known[n].type] for n in reads}
    try:
        result = program.execute(sample)
    except (TypeError, RuntimeError, ValueError) as exc:
        raise _RuleErrors(_at(fname, node, f"condition has a type error: {str(exc)[:160]}", rid,
                              "counts are int, scores are double; CEL does no implicit "
                              "arithmetic between them (use double(x))")) from None
    if not isinstance(result, bool):
        raise _RuleErrors(_at(fname, node, f"condition must be true or false, not "
                              f"{type(result).__name__}", rid))
    return program, reads


def _locate(fname: str, text: str, node: yaml.Node, word: str, msg: str, rid: str | None,
            hint: str) -> PolicyError:
    """Point at word inside the condition's source text, whatever the YAML scalar style."""
    span = text[node.start_mark.index:node.end_mark.index]
    m = re.search(rf"\b{re.escape(word)}\b", span)
    if not m:
        return _at(fname, node, msg, rid, hint)
    pos = node.start_mark.index + m.start()
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return PolicyError(fname, line, col, msg, rid, hint, len(word))
