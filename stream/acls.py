"""`vigil acls`: the Kafka ACLs a deployment should set, as commands for Kafka's own tool.

A producer that may write any topic can forge decisions downstream systems enforce (a line
for `enforcement-actions` in an events file once put a `suspend_creator` on it). With an
authorizer on the brokers, each principal gets only what its job needs:
- producers (upload, report, scoring and review services; `vigil produce`): write the input
  topics, and dead-letter for the lines `vigil produce` refuses;
- the workers: read the inputs, the re-keying topics, their changelogs and policy-updates;
  write the outputs, the re-keying topics and their changelogs; create those (a worker
  creates what is missing when it starts); read their topics' configs (each topic's size
  limit); and use their consumer group;
- policy publishers (`vigil policy publish`): write policy-updates;
- readers (enforcement systems, dashboards, `vigil explain --kafka`): read the outputs.
Everything else is refused: no principal but the workers' can write an output, fact or
changelog topic. Applied with `kafka-acls.sh` (`kafka.admin.AclCommand`), as an admin.
"""

from collections.abc import Iterable

from schemas.common import INPUT_TOPICS, OUTPUT_TOPICS
from stream.config import Settings
from stream.policyreload import POLICY_UPDATES
from stream.topics import INTERNAL_TOPICS, TABLES


def _grant(principal: str, operations: Iterable[str], topics: Iterable[str]) -> list[str]:
    args = ["--add", "--allow-principal", principal]
    for op in operations:
        args += ["--operation", op]
    for topic in topics:
        args += ["--topic", topic]
    return args


def acl_commands(settings: Settings, worker: str, producers: Iterable[str] = (),
                 publishers: Iterable[str] = (), readers: Iterable[str] = (),
                 reader_group: str = "*") -> list[list[str]]:
    """The kafka-acls arguments (less the connection options) granting each principal its
    part: principals as Kafka writes them, `User:name`."""
    t = settings.topic
    inputs = [t(x) for x in INPUT_TOPICS]
    outputs = [t(x) for x in OUTPUT_TOPICS]
    facts = [t(x) for x in INTERNAL_TOPICS]
    changelogs = [f"{settings.app_id}-{table}-changelog" for table in TABLES]
    updates = t(POLICY_UPDATES)
    out = [
        _grant(worker, ["Read", "Describe"], [*inputs, *facts, *changelogs, updates]),
        _grant(worker, ["Write", "Describe", "DescribeConfigs"], [*outputs, *facts,
                                                                  *changelogs]),
        _grant(worker, ["Create"], [*inputs, *outputs, *facts, *changelogs, updates]),
        ["--add", "--allow-principal", worker, "--operation", "Read", "--group",
         settings.app_id],
    ]
    for p in producers:
        out.append(_grant(p, ["Write", "Describe", "Create"], [*inputs, t("dead-letter")]))
    for p in publishers:
        out.append(_grant(p, ["Write", "Describe", "Create"], [updates]))
    for p in readers:
        out.append(_grant(p, ["Read", "Describe"], outputs))
        out.append(["--add", "--allow-principal", p, "--operation", "Read", "--group",
                    reader_group])
    return out
