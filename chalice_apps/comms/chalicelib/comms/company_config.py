"""Company config reads from the company-data table, cached in the warm function."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from cachetools import TTLCache

from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class CompanyConfigRepository:
    """Reads one project's config item, keeping it for ``cache_seconds``.

    A burst of requests for one project costs one GetItem per warm function and cache period.
    Only found items are cached: a company an operator has just added is seen at once.
    """

    def __init__(
        self,
        table: Table,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 512,
    ) -> None:
        self._table = table
        self._cache: TTLCache[tuple[str, str], dict[str, Any]] = TTLCache(
            maxsize=max_entries, ttl=cache_seconds, timer=clock
        )
        self._lock = threading.Lock()

    def get(self, company_id: str, project_id: str) -> dict[str, Any] | None:
        """The config item, or None when no such company/project exists.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        key = (company_id, project_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            response = self._table.get_item(
                Key={"company_id": company_id, "project_id": project_id}
            )
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"reading company config failed: {err}") from err
        item = response.get("Item")
        if item is not None:
            with self._lock:
                self._cache[key] = item
        return item
