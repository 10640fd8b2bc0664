"""The YouTube quota keeper: every call's unit cost in one table, the units spent counted in
DynamoDB per Pacific-time day (YouTube resets the quota at midnight America/Los_Angeles),
and a call that would overspend the day's budget refused before it is sent.

Why a shared counter: every invocation of the day (the daily analysis, its retries, part 2's
uploads) draws on the same project quota, and YouTube charges for a call whether it succeeds
or not. Each attempt is counted before it is sent, with one conditional UpdateItem, so two
invocations can never both take the last units.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from chalicelib.trends.exceptions import DatabaseError, QuotaBudgetExceededError
from shared.dynamo import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# Where YouTube's day begins and ends.
QUOTA_ZONE: Final = ZoneInfo("America/Los_Angeles")

# Units per call, by API method (developers.google.com/youtube/v3/determine_quota_cost).
# Each page of a list is a call; a failed call costs its units too.
UNIT_COSTS: Final[dict[str, int]] = {
    "videos.list": 1,
    "videoCategories.list": 1,
    "search.list": 100,
    "videos.insert": 1600,
    "thumbnails.set": 50,
}


def quota_day(moment: datetime) -> str:
    """The Pacific date whose quota ``moment`` spends: ``2026-03-08``."""
    return moment.astimezone(QUOTA_ZONE).date().isoformat()


def quota_key(day: str) -> str:
    return f"quota#youtube#{day}"


class QuotaKeeper:
    def __init__(
        self,
        table: Table,
        budget: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = table
        self.budget = budget
        self._clock = clock
        # Units this keeper spent (this run), for the run's report and metrics.
        self.spent = 0

    def spend(self, method: str) -> int:
        """Count one call of ``method`` against today's budget; returns the day's total.

        Raises:
            KeyError: ``method`` has no cost in ``UNIT_COSTS`` (a call nobody priced).
            QuotaBudgetExceededError: the call would take the day past the budget; nothing
                was counted and the call must not be sent.
            DatabaseError: DynamoDB failed after boto3's retries.
        """
        cost = UNIT_COSTS[method]
        day = quota_day(self._clock())
        if cost > self.budget:  # dearer than the whole day's budget: never affordable
            raise QuotaBudgetExceededError(day, 0, cost, self.budget)
        with aws_errors(
            "counting YouTube quota",
            DatabaseError,
            on_condition=lambda: QuotaBudgetExceededError(day, self.used(day), cost, self.budget),
        ):
            answer = self._table.update_item(
                Key={"state_key": quota_key(day)},
                UpdateExpression="ADD units :cost SET quota_day = :day",
                ConditionExpression="attribute_not_exists(units) OR units <= :ceiling",
                ExpressionAttributeValues={
                    ":cost": cost,
                    ":day": day,
                    ":ceiling": self.budget - cost,
                },
                ReturnValues="UPDATED_NEW",
            )
        self.spent += cost
        return int(answer["Attributes"]["units"])  # type: ignore[arg-type]

    def used(self, day: str | None = None) -> int:
        """Units counted for ``day`` (today, Pacific, by default)."""
        key = quota_key(day or quota_day(self._clock()))
        with aws_errors("reading YouTube quota", DatabaseError):
            item = self._table.get_item(Key={"state_key": key}, ConsistentRead=True).get("Item")
        return int(item["units"]) if item else 0  # type: ignore[arg-type]
