"""The benchmarks' figures and their raw results on disk (one JSON file per kind of run)."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 and the mean, in milliseconds, of durations in seconds."""
    arr = np.asarray(samples) * 1000
    return {f"p{p}": round(float(np.percentile(arr, p)), 1) for p in (50, 95, 99)} | {
        "mean": round(float(arr.mean()), 1)
    }


def size_label(count: int) -> str:
    """100000 -> "100k", 1000000 -> "1m", 250 -> "250": how the runs are named."""
    for unit, suffix in ((1_000_000, "m"), (1_000, "k")):
        if count >= unit and count % unit == 0:
            return f"{count // unit}{suffix}"
    return str(count)


def write_result(directory: Path, kind: str, result: dict[str, Any], argv: list[str]) -> Path:
    """Write ``result`` as ``<directory>/<kind>.json`` with when, where and how it was run.

    One file per kind of run: the latest run of a kind replaces the previous one (history is git's).
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kind}.json"
    record = {
        "kind": kind,
        "command": " ".join(["python", *argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "result": result,
    }
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
