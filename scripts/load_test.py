"""HTTP load test: the real server, signed Slack events and Teams activities, on loopback only.

    python scripts/load_test.py [--rate 100] [--seconds 60] [--drain-timeout 1800] [--keep DIR] [--split]

1. Imports the bundled sample community into a fresh data directory (so suggestion jobs search a real
   index), then starts ``yorozu serve --local`` on a free loopback port with a Slack signing secret
   (Slack's ``/slack/events``) and Teams in local mode (``/api/messages`` without an app id: the Bot
   Framework Emulator's mode, loopback only). Slack's Web API and the Bot Connector are fake servers in
   this process, on loopback, so replies have somewhere to go.
2. Sends ``rate`` requests per second for ``seconds`` (open loop: a slow answer does not slow the
   sender), alternating Slack ``event_callback`` messages (HMAC-signed like Slack's) and Teams channel
   ``message`` activities: new questions and replies in their threads, texts recombined from the
   sample community (``knowledge/bench/synthetic.py``).
3. Reports the rate held, status codes (5xx must be 0), acknowledgement latency p50/p95/p99 (Slack
   retries after 3 s), then polls ``/healthz`` until the indexing backlog is 0 and reports how long
   that took; finally counts the messages in the database: every acknowledged message must be there.
   Meanwhile a question goes to the local web chat (``/api/ask``) every 2 s, during the load and
   during the drain: how long a person asking while the backlog is embedded waits for the answer.

With ``--split`` the server is two processes on the one database, ``yorozu serve --role web`` (the
endpoints and the web chat; it embeds only questions) and ``--role worker`` (embedding and replies).

Everything is bounded: the sender stops after ``rate * seconds`` requests, the drain wait after
``--drain-timeout`` seconds, and the server is stopped with SIGINT (then SIGKILL) at the end.

The logic is ``knowledge/bench/load.py``. The result is printed as JSON and written to
``docs/bench-results/load_test-<rate>rps-<seconds>s[-split].json`` (``--results-dir``, ``--no-results``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from knowledge.bench.load import LoadOptions, run
from knowledge.bench.results import write_result

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "bench-results"
# Yorozu's command line, run by the interpreter running this script (its installed `yorozu`).
YOROZU = [sys.executable, "-m", "bot.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (default 100)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send (default 60)")
    parser.add_argument("--drain-timeout", type=float, default=1800.0, help="give up waiting for the backlog")
    parser.add_argument("--keep", help="use and keep this data directory (default: a temporary one)")
    parser.add_argument(
        "--split", action="store_true", help="run the server as two processes: --role web and --role worker"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the raw JSON result goes")
    parser.add_argument("--no-results", dest="results", action="store_false", help="only print the result")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.rate * args.seconds > 100_000:
        parser.error("rate and seconds must be positive and send at most 100,000 requests")
    options = LoadOptions(args.rate, args.seconds, args.drain_timeout, args.keep, args.split)
    result = asyncio.run(run(options, YOROZU))
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.results:
        kind = f"load_test-{args.rate:g}rps-{args.seconds:g}s" + ("-split" if args.split else "")
        path = write_result(args.results_dir, kind, result, sys.argv)
        print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
