"""Operations tests: health, metrics, stopping, the image and its install steps.

The fixtures are the conversation tests' fake Bot API harness and the service tests'
PostgreSQL and Redis (skipped without the servers, failed under CI=true)."""

from __future__ import annotations

from tests.conversation.conftest import harness  # noqa: F401 - fixtures by name
from tests.services.conftest import (  # noqa: F401
    migrated_url,
    pg_template,
    postgres_admin,
    redis_server,
)
