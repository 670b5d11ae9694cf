"""Small utilities for reading sensor data exported as CSV."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    time: datetime
    celsius: float


def parse_rows(rows: Iterable[dict[str, str]]) -> Iterator[Reading]:
    """Yield readings, skipping rows with a missing or malformed value."""
    for row in rows:
        raw = row.get("value", "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        ts = datetime.fromisoformat(row["timestamp"]).astimezone(timezone.utc)
        yield Reading(row["sensor"], ts, value)


def load(path: Path) -> list[Reading]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(parse_rows(csv.DictReader(fh)))


def summary(readings: list[Reading]) -> dict[str, dict[str, float]]:
    """Mean, min and max per sensor."""
    by_sensor: dict[str, list[float]] = {}
    for r in readings:
        by_sensor.setdefault(r.sensor_id, []).append(r.celsius)
    return {
        sensor: {
            "mean": statistics.fmean(values),
            "min": min(values),
            "max": max(values),
        }
        for sensor, values in by_sensor.items()
    }


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", type=Path)
    args = parser.parse_args()
    for sensor, stats in sorted(summary(load(args.csv)).items()):
        print(f"{sensor:>10}  mean={stats['mean']:6.2f}  min={stats['min']:6.2f}  "
              f"max={stats['max']:6.2f}")


if __name__ == "__main__":
    main()
