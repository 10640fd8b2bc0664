"""CloudWatch dashboard widgets, laid out the same way on every system's dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Each widget takes half of CloudWatch's 24-column grid, six rows high.
WIDTH, HEIGHT = 12, 6


@dataclass(frozen=True)
class MetricGrid:
    """Time-series widgets of one dashboard: its region and the period every graph uses."""

    region: str
    period_seconds: int

    def widget(
        self, title: str, metrics: list[list[Any]], x: int, y: int, stat: str = "Sum"
    ) -> dict[str, Any]:
        """One graph at column ``x``, row ``y`` (``stat`` unless a metric sets its own)."""
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": WIDTH,
            "height": HEIGHT,
            "properties": {
                "title": title,
                "region": self.region,
                "stat": stat,
                "period": self.period_seconds,
                "view": "timeSeries",
                "metrics": metrics,
            },
        }

    def api_traffic(self, title: str, api: str, stage: str, x: int, y: int) -> dict[str, Any]:
        """An API's requests, 4xx and 5xx answers, as API Gateway counts them by API name and
        stage: the same graph on every system's dashboard."""
        metrics = [
            ["AWS/ApiGateway", metric, "ApiName", api, "Stage", stage]
            for metric in ("Count", "4XXError", "5XXError")
        ]
        return self.widget(title, metrics, x, y)
