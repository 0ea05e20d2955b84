"""Private Kafka and Redis instances that a fault test may stop and start at will.

They run from the same scripts/services.sh as the shared ones, on free ports and in the test's
own directory, so stopping them disturbs no other test.
"""

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services.sh"


@dataclass
class Service:
    """One private service: `stop()` and `start()` it like an operator would."""

    name: str  # kafka | redis
    home: Path
    ports: dict[str, int]
    env: dict[str, str] = field(default_factory=dict)  # more settings for services.sh

    def _run(self, verb: str) -> None:
        env = {
            **os.environ,
            "VIGIL_LOCAL_DIR": str(self.home),
            "VIGIL_KAFKA_LIBS": str(ROOT / ".local" / "kafka" / "libs"),
            "VIGIL_KAFKA_PORT": str(self.ports.get("kafka", 0)),
            "VIGIL_KAFKA_CONTROLLER_PORT": str(self.ports.get("controller", 0)),
            "VIGIL_REDIS_PORT": str(self.ports.get("redis", 0)),
            **self.env,
        }
        r = subprocess.run(
            [str(SERVICES), f"{self.name}-{verb}"], env=env, capture_output=True, timeout=180
        )
        assert r.returncode == 0, r.stderr.decode()

    def start(self) -> None:
        """Start (or restart, on the same data) and wait until it answers."""
        self._run("up")

    def stop(self) -> None:
        """Stop it (Kafka: a clean broker shutdown; Redis: SHUTDOWN NOSAVE)."""
        self._run("down")

    @property
    def address(self) -> str:
        if self.name == "kafka":
            return f"127.0.0.1:{self.ports['kafka']}"
        return f"redis://127.0.0.1:{self.ports['redis']}/0"


def private_kafka(home: Path, **env: str) -> Service:
    return Service("kafka", home, {"kafka": free_port(), "controller": free_port()}, env)


def private_redis(home: Path) -> Service:
    return Service("redis", home, {"redis": free_port()})
