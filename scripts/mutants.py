"""Mutation check of the rules that protect users: does some test fail when the code breaks one?

Each mutant replaces one exact piece of the code (which must occur exactly once) in a temporary copy of
the tree, runs the tests chosen for it there, and is *killed* when they fail, *survived* when they pass.
Only the tracked files are copied (``git ls-files``); the mutants run one at a time, on SQLite (the
PostgreSQL variants are the same tests on another database), without the tests that load the real model.

    python scripts/mutants.py                # every mutant, then a summary; exit 1 if any survived
    python scripts/mutants.py --list         # names only
    python scripts/mutants.py --baseline     # each selection also run unchanged first (must pass)
    python scripts/mutants.py opt-out-who deletes-ignored   # some of them

The result of the last full run is in docs/testing.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # file to change, relative to the repository
    old: str  # exact text, present once
    new: str
    tests: tuple[str, ...]  # pytest arguments: files, node ids, -k expressions
    what: str
    more: tuple[tuple[str, str], ...] = ()  # further (old, new) replacements in the same file


MUTANTS = [
    # --- access and privacy -------------------------------------------------------------------------
    Mutant(
        "access-check-open",
        "knowledge/search.py",
        "    if view.visibility == Visibility.PUBLIC:\n",
        "    if True:\n",
        ("tests/knowledge/test_search.py", "tests/bot/teams/test_visibility.py"),
        "the one access check lets every thread through",
    ),
    Mutant(
        "opt-out-suggestions",
        "knowledge/search.py",
        "        if person is not None and (person.opted_out or person.is_bot):\n",
        "        if person is not None and person.is_bot:\n",
        ("tests/knowledge/test_people.py", "tests/bot/teams/test_people_flows.py"),
        "opted-out people named as answerers in suggestions",
    ),
    Mutant(
        "opt-out-who",
        "knowledge/people.py",
        "            if (person is not None and (person.opted_out or person.is_bot)) or key in exclude:\n",
        "            if (person is not None and person.is_bot) or key in exclude:\n",
        ("tests/knowledge/test_people.py", "tests/bot/teams/test_people_flows.py"),
        "opted-out people listed by who and in follow-ups",
    ),
    Mutant(
        "opt-out-pings",
        "knowledge/parts/people.py",
        "            if person is None or person.opted_out or person.is_bot or (plat, person_id) in out:\n",
        "            if person is None or person.is_bot or (plat, person_id) in out:\n",
        ("tests/knowledge/test_people.py", "tests/knowledge/test_followup.py", "tests/bot/slack/test_followup.py"),
        "opted-out subscribers pinged",
    ),
    # --- deletes and edits ----------------------------------------------------------------------------
    Mutant(
        "deletes-ignored",
        "knowledge/ingest.py",
        "        case ev.MessageDeleted():\n            return _message_deleted(conn, event)\n",
        "        case ev.MessageDeleted():\n            return False\n",
        ("tests/knowledge/test_ingest.py",),
        "a deleted message stays",
    ),
    Mutant(
        "deleted-text-kept",
        "knowledge/ingest.py",
        '    repo.update_message(conn, message.id, text="", deleted=True)\n',
        "    repo.update_message(conn, message.id, text=message.text, deleted=True)\n",
        ("tests/knowledge/test_ingest.py",),
        "a deleted message keeps its text in the store",
    ),
    Mutant(
        "lookup-overwrites-archive",
        "knowledge/ingest.py",
        "        archived=event.archived if before is None else None,\n",
        "        archived=event.archived,\n",
        ("tests/bot/slack/test_endpoint.py", "-k", "archive"),
        "a channel lookup's older answer undoes a newer archive event",
    ),
    Mutant(
        "sqlite-migration-cascade",
        "knowledge/store/__init__.py",
        '                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")\n',
        '                conn.exec_driver_sql("PRAGMA foreign_keys=ON")\n',
        ("tests/knowledge/test_migrations.py",),
        "an upgrade on SQLite cascades a copied table's drop to its rows",
    ),
    # --- Slack: signatures and receipts ---------------------------------------------------------------
    Mutant(
        "slack-signature-off",
        "bot/slack/app.py",
        "            signing_secret=secret,\n",
        "            signing_secret=secret,\n            request_verification_enabled=False,\n",
        ("tests/bot/slack/test_endpoint.py", "tests/bot/slack/test_refused.py"),
        "Slack's signature checked nowhere (Bolt's check off and Yorozu's own)",
        more=(
            (
                "        if not signed(self._secret, raw, request.headers):\n"
                '            log.info("Slack request refused',
                '        if False:\n            log.info("Slack request refused',
            ),
        ),
    ),
    Mutant(
        "slack-own-signature-check-off",
        "bot/slack/app.py",
        '        if not signed(self._secret, raw, request.headers):\n            log.info("Slack request refused',
        '        if False:\n            log.info("Slack request refused',
        ("tests/bot/slack/test_refused.py", "tests/bot/slack/test_endpoint.py"),
        "unverified requests reach Bolt, which logs their body",
    ),
    Mutant(
        "slack-signature-window",
        "bot/slack/signing.py",
        "SIGNATURE_WINDOW = 5 * 60\n",
        "SIGNATURE_WINDOW = 10**9\n",
        ("tests/bot/slack/test_endpoint.py", "tests/bot/slack/test_refused.py"),
        "a signature years old is accepted",
    ),
    Mutant(
        "slack-receipt-dropped",
        "bot/slack/app.py",
        "        if await self.service.accept(events, delivery=delivery, jobs=jobs) is None:\n",
        "        if await self.service.accept(events, delivery=None, jobs=jobs) is None:\n",
        ("tests/bot/slack/test_endpoint.py", "tests/bot/slack/test_socket_mode.py"),
        "Slack's retries are processed again",
    ),
    Mutant(
        "receipts-always-new",
        "knowledge/store/repository/meta.py",
        "    if exists is not None:\n        return False\n    conn.execute(event_receipts.insert()",
        "    if exists is not None:\n        return True\n    conn.execute(event_receipts.insert()",
        ("tests/bot/slack/test_endpoint.py", "tests/bot/teams/test_channel.py", "tests/knowledge/test_base.py"),
        "a duplicate delivery is treated as new",
    ),
    Mutant(
        "slack-ack-before-store",
        "bot/slack/app.py",
        "            process_before_response=True,\n",
        "            process_before_response=False,\n",
        ("tests/bot/slack/test_ack.py", "tests/bot/slack/test_endpoint.py", "tests/bot/slack/test_socket_mode.py"),
        "Slack is acknowledged before the event is stored",
    ),
    # --- Teams: tokens and receipts -------------------------------------------------------------------
    Mutant(
        "teams-token-checks-off",
        "bot/teams/auth.py",
        '    if required and not (header and header.startswith("Bearer ")):\n',
        "    if False:\n",
        ("tests/bot/teams/test_auth.py", "tests/bot/teams/test_refused.py"),
        "no Bearer token needed: Yorozu's header check off and botbuilder told there is no app id",
        more=(
            (
                "    return ClientSecretCredentialsFactory(app_id, tokens)\n",
                '    return ClientSecretCredentialsFactory("", tokens)\n',
            ),
        ),
    ),
    Mutant(
        "teams-refusal-swallowed",
        "bot/teams/auth.py",
        "        raise Unauthorized(str(exc)) from exc\n",
        "        return AuthenticateRequestResult()\n",
        ("tests/bot/teams/test_auth.py", "tests/bot/teams/test_refused.py"),
        "a token botbuilder refused is not answered with a 401",
    ),
    Mutant(
        "teams-refusal-logs-claims",
        "bot/teams/auth.py",
        '        log.info("Teams request refused: %s", type(exc).__name__)\n',
        '        log.info("Teams request refused: %s: %s", type(exc).__name__, exc)\n',
        ("tests/bot/teams/test_refused.py",),
        "a refused token's claims written to the log",
    ),
    Mutant(
        "teams-receipt-dropped",
        "bot/teams/handler.py",
        '        if await self.service.accept(events, delivery=f"teams:{activity.id}", jobs=jobs) is None:\n',
        "        if await self.service.accept(events, jobs=jobs) is None:\n",
        ("tests/bot/teams/test_channel.py",),
        "a Teams @mention delivered twice is answered twice",
    ),
]


def copy_tree(target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for name in files.decode().split("\0"):
        if not name:
            continue
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_tests(tree: Path, tests: tuple[str, ...]) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("YOROZU_TEST_DATABASE_URL", "CI")}
    env["PYTHONPATH"] = str(tree)
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not model", *tests]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument(
        "--baseline", action="store_true", help="first run each mutant's tests on the unchanged tree (they must pass)"
    )
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    if args.list or not chosen:
        for m in MUTANTS:
            print(f"{m.name:30} {m.path}: {m.what}")
        return 0 if args.list else 2
    survived = []
    with tempfile.TemporaryDirectory(prefix="yorozu-mutants-") as tmp:
        tree = Path(tmp)
        copy_tree(tree)
        for m in chosen:
            path = tree / m.path
            original = path.read_text()
            edits = ((m.old, m.new), *m.more)
            counts = [original.count(old) for old, _ in edits]
            if counts != [1] * len(edits):
                print(f"{m.name:30} ERROR: the texts to mutate occur {counts} times in {m.path}, not once each")
                survived.append(m.name)
                continue
            if args.baseline and run_tests(tree, m.tests) != 0:
                print(f"{m.name:30} ERROR: its tests fail on the unchanged tree")
                survived.append(m.name)
                continue
            mutated = original
            for old, new in edits:
                mutated = mutated.replace(old, new)
            path.write_text(mutated)
            started = time.monotonic()
            try:
                code = run_tests(tree, m.tests)
            finally:
                path.write_text(original)
            verdict = {0: "SURVIVED", 5: "ERROR: no tests ran"}.get(code, "killed")
            if code in (0, 5):
                survived.append(m.name)
            print(f"{m.name:30} {verdict:9} {time.monotonic() - started:5.0f} s  {m.what}", flush=True)
    print(
        f"\n{len(chosen) - len(survived)} of {len(chosen)} killed" + (f"; not killed: {survived}" if survived else "")
    )
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
