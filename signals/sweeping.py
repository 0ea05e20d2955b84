"""What the sweep does with a stored state, decided from its encoded bytes where it can.

The sweep visits every key of every table; most states are alive and nothing waits in them,
and a state's own `triage` says so without decoding it (ContentState.triage and the like).
"""

KEEP = 0  # alive, nothing waits: left as it is
EXPIRED = 1  # past its event-time TTL, nothing waits: deleted without being decoded
DECODE = 2  # must be decoded to tell (events waiting for the region, an open incident)
