"""The reliability tests run workers against the real broker and Redis, as integration does."""

from tests.integration.conftest import day_file, deployment, services

__all__ = ["day_file", "deployment", "services"]
