"""The Faust this seam was written against, checked before the worker starts.

Everything under stream/worker/transport reads or overrides private parts of faust-streaming.
A different release may rename or drop any of them, and the worker would then fail in the
middle of a stream (or, worse, keep running with a fix silently not applied). So the worker
checks the installed release and every private name the seam relies on first, and refuses to
start with a message naming what is missing.
"""

from importlib.metadata import version
from typing import Any

from stream.errors import IncompatibleFaust

WRITTEN_FOR = "0.15.3"  # faust-streaming, as pinned in constraints.txt

# methods the seam overrides or calls, by the class that defines them
CLASS_MEMBERS = {
    "faust.transport.consumer:Consumer": (
        "_drain_messages",
        "_new_offset",
        "_get_active_partitions",
        "_getmany",
        "_add_gap",
    ),
    "faust.transport.drivers.aiokafka:Consumer": ("_to_message",),
    "faust.transport.drivers.aiokafka:Producer": ("_settings_extra", "_ensure_producer"),
}
MODULE_MEMBERS = {"faust.streams": ("_current_event",)}
# state a consumer holds from its construction on: the fetch loop keeps Faust's books
CONSUMER_STATE = (
    "_acked",
    "_acked_index",
    "_read_offset",
    "_committed_offset",
    "_buffered_partitions",
    "_waiting_for_ack",
    "_commit_every",
    "_n_acked",
    "_stopped",
    "can_resume_flow",
    "not_waiting_next_records",
)


def problems(consumer: Any | None = None, installed: str | None = None) -> list[str]:
    """What does not match: the release, then each missing name (empty when all is well)."""
    from importlib import import_module

    found = installed if installed is not None else version("faust-streaming")
    out = (
        []
        if found == WRITTEN_FOR
        else [
            f"faust-streaming {found} is installed; vigil's transport was written for "
            f"{WRITTEN_FOR} (constraints.txt)"
        ]
    )
    for where, names in CLASS_MEMBERS.items():
        module, cls = where.split(":")
        owner = getattr(import_module(module), cls)
        out += [f"{module}.{cls}.{n} is gone" for n in names if not hasattr(owner, n)]
    for module, names in MODULE_MEMBERS.items():
        mod = import_module(module)
        out += [f"{module}.{n} is gone" for n in names if not hasattr(mod, n)]
    if consumer is not None:
        out += [
            f"a Faust consumer no longer holds {n}"
            for n in CONSUMER_STATE
            if not hasattr(consumer, n)
        ]
    return out


def check(consumer: Any | None = None) -> None:
    """Raise IncompatibleFaust unless the installed Faust is the one the seam was written for."""
    found = problems(consumer)
    if found:
        raise IncompatibleFaust("; ".join(found))
