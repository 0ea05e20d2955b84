"""Rule versions: a rule whose decisions can change must get a new version.

A decision's id hashes the rule's id and version, and "fired once" is kept per version. So a
rule edited in place keeps acting as if it were the old one: a tightened condition never
re-judges what the old one passed over, and a rule promoted from `mode: shadow` to `enforce`
gives its first real action the id of its shadow decision, which the ledger then skips. This
compares each rule's decision fields (what it reads, decides and where) with a previous
version of the pack, or with the pack's lock (`rules.lock`, written by `vigil policy lock`),
and warns about every rule that changed them without a new version.
"""

from collections.abc import Mapping
from typing import Any

from signals.policy.errors import PolicyError
from signals.policy.model import PolicyPack, Rule

LOCK_VERSION = 1
# the fields whose change changes decisions; owner and description do not
_FIELDS = ("policy_area", "target", "when", "outcome", "mode", "once_per", "queue", "priority")


def decision_fields(rule: Rule) -> dict[str, Any]:
    """The rule's decision fields, its bands and each region's variant included."""
    out: dict[str, Any] = {f: getattr(rule, f) for f in _FIELDS}
    if rule.bands:
        out["bands"] = {
            "signal": rule.bands.signal,
            "enforce_at": rule.bands.enforce_at,
            "review_at": rule.bands.review_at,
        }
    if rule.rearm_reporters is not None:  # absent before it existed: older locks still match
        out["rearm"] = {"new_reporters": rule.rearm_reporters}
    if rule.regions:
        out["regions"] = {code: decision_fields(v) for code, v in sorted(rule.regions.items())}
    return out


def lock(pack: PolicyPack) -> dict[str, Any]:
    """The lock of a pack: each rule's version and decision fields."""
    return {
        "lock_version": LOCK_VERSION,
        "rules": {
            r.id: {"version": r.version, **decision_fields(r)}
            for r in sorted(pack.rules, key=lambda r: r.id)
        },
    }


def read_lock(doc: Any) -> dict[str, dict[str, Any]]:
    """The rules of a lock document (ValueError naming the problem if it is not one)."""
    if (
        not isinstance(doc, dict)
        or doc.get("lock_version") != LOCK_VERSION
        or not isinstance(doc.get("rules"), dict)
    ):
        raise ValueError(
            f"not a rules lock of version {LOCK_VERSION} (`vigil policy lock` writes one)"
        )
    rules: dict[str, dict[str, Any]] = doc["rules"]
    return rules


def unversioned_changes(
    previous: Mapping[str, Mapping[str, Any]], pack: PolicyPack, against: str
) -> list[PolicyError]:
    """A warning for each rule whose decision fields differ from `previous` (a lock's rules)
    under the same version, or whose version went down. against names what was compared."""
    warnings = []
    for rule in pack.rules:
        old = previous.get(rule.id)
        if old is None:
            continue  # a new rule
        fields = decision_fields(rule)
        changed = sorted(k for k in {*fields, *old} - {"version"} if fields.get(k) != old.get(k))
        if rule.version < old["version"]:
            warnings.append(
                _warning(
                    rule,
                    f"rule version went down from {old['version']} to "
                    f"{rule.version} (against {against})",
                    'ids and "fired once" of the older version come back',
                )
            )
        elif changed and rule.version == old["version"]:
            warnings.append(
                _warning(
                    rule,
                    f"rule changed {', '.join(changed)} without a new version (against {against})",
                    f"bump `version` to {rule.version + 1}: decision ids and "
                    '"fired once" are per version, so the changed rule would not act where the '
                    "old one did, and its decisions would share the old ones' ids",
                )
            )
    return warnings


def _warning(rule: Rule, message: str, hint: str) -> PolicyError:
    return PolicyError(rule.file, rule.line, 1, message, rule.id, hint, severity="warning")
