"""The on-call page: what is spiking and what automation is doing, live in the browser.

Every worker serves it (`/board`), from what every worker publishes on Kafka (`feed`), not
from its own memory, so any worker's page shows the whole deployment. Signing in keeps the
API token's proof in a session cookie (`session`); the page polls `/board/state` and acts
through `/board/act` (`views`), which sends the same commands the CLI sends
(stream/commands.py) on the same compacted topics.
"""
