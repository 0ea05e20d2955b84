"""A worker catching up on a backlog in which every report is ahead of its video's upload."""

from pathlib import Path

from .conftest import Deployment
from .test_worker_parity import assert_no_duplicates, replay, resolved_by_sweeps


def firing(alerts: list[dict[str, object]]) -> set[tuple[str, str]]:
    return {
        (a["key"]["kind"], a["key"]["value"])
        for a in alerts  # type: ignore[index]
        if a["status"] == "firing"
    }


def test_a_backlog_of_reports_ahead_of_their_uploads_still_fires_the_brigade(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    """Kafka gives no order between topics: after an outage the reports topic can be read
    long before the uploads topic. The brigade's reports then wait for their videos' region,
    but their trend facts must not: the incident fires as it does in replay."""
    lines = day_file.read_bytes().splitlines()
    uploads = {x for x in lines if x.startswith(b'{"topic":"uploads"')}  # the bad lines too
    reordered = tmp_path / "reports-first.jsonl"
    reordered.write_bytes(
        b"\n".join([x for x in lines if x not in uploads] + [x for x in lines if x in uploads])
    )
    proc, _ = deployment.start_worker(VIGIL_SWEEP_SECONDS="1")
    deployment.stop(proc)  # the worker made its topics; now it is down while traffic piles up
    deployment.produce(reordered)
    deployment.start_worker(VIGIL_SWEEP_SECONDS="1")
    deployment.drained()
    kafka = resolved_by_sweeps(deployment)
    local = replay(day_file, tmp_path / "replay")

    brigade = {("area_region", "harassment_bullying:US"), ("area_region", "hate:US")}
    assert brigade <= firing(local["trend-alerts"])
    # read oldest first across partitions, the backlog is judged as replay judges the day
    assert firing(kafka["trend-alerts"]) == firing(local["trend-alerts"])
    assert_no_duplicates(kafka)
    # every video got its region before its rules ran: no decision says region_unknown
    decisions = [d for t in ("enforcement-actions", "escalations") for d in kafka[t]]
    assert decisions and all(d["region"] != "region_unknown" for d in decisions)
