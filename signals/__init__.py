"""vigil's pure core: decoding, event-time windows, per-key state, rules, decisions.

Nothing here reads the clock or talks to Kafka or Redis: the same input gives the same output,
so the Faust worker and the in-process replay driver make identical decisions.
"""

from signals import native

# the mypyc-compiled modules, when `make native` has built them from these very sources
NATIVE = native.use(__path__)
BUILD = "compiled" if NATIVE else "source"  # as the worker logs it and /health reports it
