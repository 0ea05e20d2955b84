"""The reliability tests run workers against the real broker and Redis, as integration does."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import day_file, deployment, services

from .services import Service, private_kafka, private_redis

__all__ = ["day_file", "deployment", "services"]


def _started(svc: Service) -> Iterator[Service]:
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def kafka(tmp_path: Path) -> Iterator[Service]:
    """A broker of the test's own, which it may stop and restart."""
    yield from _started(private_kafka(tmp_path / "kafka-home"))


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Service]:
    """A Redis of the test's own, which it may stop and restart."""
    yield from _started(private_redis(tmp_path / "redis-home"))
