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

import typer

from schemas.common import DEAD_LETTER, INPUT_TOPICS, ONCALL_ACTIONS, OUTPUT_TOPICS
from stream.cli.common import app, err
from stream.config import Settings
from stream.topics import (
    COMPACTED_OUTPUTS,
    INTERNAL_TOPICS,
    POLICY_UPDATES,
    RULE_COMMANDS,
    TABLES,
)


def _grant(principal: str, operations: Iterable[str], topics: Iterable[str]) -> list[str]:
    args = ["--add", "--allow-principal", principal]
    for op in operations:
        args += ["--operation", op]
    for topic in topics:
        args += ["--topic", topic]
    return args


def acl_commands(
    settings: Settings,
    worker: str,
    producers: Iterable[str] = (),
    publishers: Iterable[str] = (),
    readers: Iterable[str] = (),
    reader_group: str = "*",
) -> list[list[str]]:
    """The kafka-acls arguments (less the connection options) granting each principal its
    part: principals as Kafka writes them, `User:name`."""
    t = settings.topic
    inputs = [t(x) for x in INPUT_TOPICS]
    outputs = [t(x) for x in (*OUTPUT_TOPICS, *COMPACTED_OUTPUTS)]
    facts = [t(x) for x in INTERNAL_TOPICS]
    changelogs = [f"{settings.app_id}-{table}-changelog" for table in TABLES]
    updates, commands = t(POLICY_UPDATES), t(RULE_COMMANDS)
    # the on-call page every worker serves reads what the workers publish, and sends the
    # commands people give on it (breaker trips and resets, acknowledgements, snoozes)
    out = [
        _grant(
            worker,
            ["Read", "Describe"],
            [*inputs, *facts, *changelogs, updates, commands, *outputs],
        ),
        _grant(
            worker,
            ["Write", "Describe", "DescribeConfigs"],
            [*outputs, *facts, *changelogs, commands],
        ),
        _grant(worker, ["Create"], [*inputs, *outputs, *facts, *changelogs, updates, commands]),
        ["--add", "--allow-principal", worker, "--operation", "Read", "--group", settings.app_id],
    ]
    for p in producers:
        out.append(_grant(p, ["Write", "Describe", "Create"], [*inputs, t(DEAD_LETTER)]))
    for p in publishers:  # policy packs, breaker trips and resets, on-call acknowledgements
        out.append(
            _grant(
                p, ["Write", "Describe", "Create"], [updates, t(RULE_COMMANDS), t(ONCALL_ACTIONS)]
            )
        )
    for p in readers:
        out.append(_grant(p, ["Read", "Describe"], outputs))
        out.append(
            ["--add", "--allow-principal", p, "--operation", "Read", "--group", reader_group]
        )
    return out


@app.command("acls")
def acls_command(
    worker: str = typer.Option(..., "--worker", help="the workers' principal, e.g. User:vigil"),
    producer: list[str] = typer.Option(
        [], "--producer", help="a producer's principal (repeatable)"
    ),
    publisher: list[str] = typer.Option(
        [], "--publisher", help="a policy publisher's principal (repeatable)"
    ),
    reader: list[str] = typer.Option(
        [], "--reader", help="an output reader's principal (repeatable)"
    ),
    reader_group: str = typer.Option("*", "--reader-group", help="consumer groups readers may use"),
    command_config: str = typer.Option(
        "admin.properties", "--command-config", help="kafka-acls' admin client properties file"
    ),
) -> None:
    """Print the kafka-acls commands that give each principal only its part (VIGIL_* names)."""
    import shlex

    for principal in (worker, *producer, *publisher, *reader):
        if ":" not in principal or not principal.split(":", 1)[1]:
            err.print(f"error: principal {principal!r} is not TYPE:NAME, e.g. User:vigil")
            raise typer.Exit(2)
    settings = Settings()
    for args in acl_commands(settings, worker, producer, publisher, reader, reader_group):
        typer.echo(
            shlex.join(
                [
                    "kafka-acls.sh",
                    "--bootstrap-server",
                    settings.bootstrap,
                    "--command-config",
                    command_config,
                    *args,
                ]
            )
        )
