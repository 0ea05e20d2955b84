"""Quality reports: windows of days, groups, Cohen's kappa, and the overturn-rise flag."""

import pytest

from schemas.quality import EnforcementQuality, QualityDay
from signals.qualityreport import newest_day, overturns_rose, pack_changes, report, window_days


def rec(
    rule: str, day: str, pack: str = "p1", region: str = "US", **counts: int
) -> EnforcementQuality:
    return EnforcementQuality(
        key=f"{rule}/{pack}/{region}/{day}",
        rule=rule,
        rule_version=1,
        policy_area="hate",
        region=region,
        pack_hash=pack,
        as_of=f"{day}T12:00:00Z",
        days=[QualityDay(day=day, counts=counts, to_action={"10": 3}, to_review={})],
    )


def test_windows_sum_the_days_up_to_the_newest() -> None:
    records = [
        rec("r", "2026-11-01", actions=5),
        rec("r", "2026-11-20", actions=2, judged=4, upheld=3),
        rec("r", "2026-11-21", actions=1),
    ]
    assert newest_day(records) == "2026-11-21"
    assert window_days("2026-11-21", 2) == {"2026-11-20", "2026-11-21"}
    assert report(records, "rule", 1)["r"].counts["actions"] == 1
    week = report(records, "rule", 7)["r"]
    assert week.counts["actions"] == 3 and week.upheld_rate == 0.75
    assert report(records, "rule", 28)["r"].counts["actions"] == 8


def test_groups_add_up_across_keys() -> None:
    records = [
        rec("a", "2026-11-21", region="US", actions=2),
        rec("a", "2026-11-21", region="BR", actions=3),
        rec("b", "2026-11-21", region="BR", actions=4),
        rec("-", "2026-11-21", region="BR", reports=9),  # area-level: in no rule's figures
    ]
    assert {g: f.counts["actions"] for g, f in report(records, "rule", 1).items()} == {
        "a": 5,
        "b": 4,
    }
    by_region = report(records, "region", 1)
    assert by_region["BR"].counts["actions"] == 7 and by_region["BR"].counts["reports"] == 9
    assert report(records, "rule", 1)["a"].to_action == {10: 6}


def test_kappa_of_review_pairs() -> None:
    # 20 pairs: 8 agree violating, 8 agree not, 4 disagree: po 0.8, pe 0.5, kappa 0.6
    f = report([rec("r", "2026-11-21", agree_vv=8, agree_nn=8, agree_vn=2, agree_nv=2)], "rule", 1)
    assert f["r"].kappa == pytest.approx(0.6)
    assert f["r"].pairs == 20


def test_a_rising_overturn_rate_is_flagged_only_beyond_chance() -> None:
    before = [rec("r", f"2026-11-{d:02d}", appeals=10, appeals_overturned=1) for d in range(1, 15)]
    worse = [rec("r", f"2026-11-{d:02d}", appeals=10, appeals_overturned=6) for d in range(15, 22)]
    same = [rec("r", f"2026-11-{d:02d}", appeals=10, appeals_overturned=1) for d in range(15, 22)]
    assert overturns_rose(before + worse, "r", "2026-11-21")
    assert not overturns_rose(before + same, "r", "2026-11-21")
    few = [rec("r", "2026-11-21", appeals=2, appeals_overturned=2)]
    assert not overturns_rose(before + few, "r", "2026-11-21")


def test_pack_changes_are_dated_by_their_first_decision() -> None:
    records = [
        rec("r", "2026-11-10", pack="old", actions=1),
        rec("r", "2026-11-15", pack="new", actions=1),
        rec("r", "2026-11-12", pack="new", reports=1),  # no decision that day
    ]
    assert pack_changes(records, "r") == [("2026-11-10", "old"), ("2026-11-15", "new")]


def test_precision_comes_from_qa_samples_where_any_were_judged() -> None:
    # appeals and reports lean to the mistakes noticed: 4 of 10 judgements upheld, while a
    # QA sample drawn at a fixed share finds 18 of 20 right
    leaning = rec("r", "2026-11-21", judged=10, upheld=4)
    sampled = rec("r", "2026-11-21", region="DE", sampled=25, sample_judged=20, sample_upheld=18)
    fig = report([leaning], "rule", 7)["r"]
    assert fig.precision()[::2] == (0.4, 10) and fig.precision()[3] == "judged"
    both = report([leaning, sampled], "rule", 7)["r"]
    rate, (lo, hi), n, source = both.precision()
    assert (rate, n, source) == (0.9, 20, "QA samples") and lo < 0.9 < hi
