"""How long a report takes for every organisation of the full demo, per format.

    python bench/reports.py [--scale 1.0] [--period 2026-Q3]

Prints JSON: per format the median and slowest seconds over the demo's 20
organisations, the first report of the process apart (it starts the JavaScript
engine that draws the charts), and each format's slowest time as a ratio of the
five-second budget a manager waits at most. As the in-run baseline, the same
figures are gathered from the raw answers instead of the rollups
(``from_rollups=False``), the way a dashboard without rollups would read them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _databases import configure

BUDGET_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--period", default=None, help="default: the last full quarter")
    args = parser.parse_args()
    configure("sqlite", __file__)

    from django.utils import timezone

    from klantpeil.analytics import selectors
    from klantpeil.collection.selectors import MeasurementFilter
    from klantpeil.core.tenancy import tenant
    from klantpeil.demo.generate import generate
    from klantpeil.metrics.periods import parse_period
    from klantpeil.organisations.models import Organisation
    from klantpeil.reports.build import FORMATS, build
    from klantpeil.rollups import services as rollups

    today = timezone.localdate()
    result = generate(seed=1, today=today, scale=args.scale)
    rollups.rebuild_all()
    quarter = (today.month - 1) // 3
    label = args.period or (f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}")
    period = parse_period(label)
    organisations = list(Organisation.objects.order_by("pk"))
    times: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
    first = None
    for organisation in organisations:
        with tenant(organisation):
            for fmt in FORMATS:
                started = time.perf_counter()
                build(period, fmt=fmt, lang="nl")
                elapsed = time.perf_counter() - started
                if first is None:
                    first = {"format": fmt, "seconds": round(elapsed, 3)}
                else:
                    times[fmt].append(elapsed)
        print(f"{organisation.slug}: done", file=sys.stderr)
    # Baseline: the channel KPIs of the report read from raw answers, against the rollups.
    raw, rolled = [], []
    for organisation in organisations:
        with tenant(organisation):
            filters = MeasurementFilter(period=period.label)
            started = time.perf_counter()
            selectors.channel_kpis(filters, from_rollups=False)
            raw.append(time.perf_counter() - started)
            started = time.perf_counter()
            selectors.channel_kpis(filters)
            rolled.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "benchmark": "reports",
                "measurements": result.measurements,
                "organisations": len(organisations),
                "period": period.label,
                "first_report_of_the_process": first,
                "formats": {
                    fmt: {
                        "median_seconds": round(statistics.median(values), 3),
                        "slowest_seconds": round(max(values), 3),
                        "slowest_to_budget_ratio": round(max(values) / BUDGET_SECONDS, 3),
                    }
                    for fmt, values in times.items()
                },
                "channel_kpis_median_seconds": {
                    "rollups": round(statistics.median(rolled), 4),
                    "raw_answers": round(statistics.median(raw), 4),
                    "raw_to_rollups_ratio": round(
                        statistics.median(raw) / statistics.median(rolled), 1
                    ),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
