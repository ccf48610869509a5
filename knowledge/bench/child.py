"""Each measurement in a fresh process, so that its peak RSS is its own.

``python -m knowledge.bench.child WHAT JSON-ARGS`` prints the measurement's result as one JSON line;
:func:`run_child` starts it and reads that line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.bench.real import child_recall_real
from knowledge.bench.scale import child_embedders, child_open, child_recall
from knowledge.bench.stream import child_ingest

CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "open": lambda d, index, q: child_open(Path(d), index, q),
    "recall": lambda d, nprobes, samples: child_recall(Path(d), nprobes, samples),
    "ingest": lambda d, rate, seconds, burst, ask: child_ingest(Path(d), rate, seconds, burst, ask),
    "embedders": lambda count: child_embedders(count),
    "recall-real": lambda texts, vectors, sizes, nprobes: child_recall_real(texts, vectors, sizes, nprobes),
}


def run_child(what: str, *args: object) -> dict[str, Any]:
    """Run one measurement in a child process and parse its JSON line."""
    command = [sys.executable, "-m", "knowledge.bench.child", what, json.dumps(list(args))]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"child {what} {list(args)} failed with {proc.returncode}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    what, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(CHILDREN[what](*arguments), ensure_ascii=False))
