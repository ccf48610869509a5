"""``yorozu evaluate`` and ``yorozu calibrate``: retrieval quality and suggestion confidence, measured on
questions with known answers (folders in BEIR layout)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_FAILED, EXIT_OK, Command
from bot.messages import text
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from bot.settings import Settings


def add_evaluate_arguments(evaluate: argparse.ArgumentParser) -> None:
    evaluate.add_argument("folder", type=Path)
    evaluate.add_argument("--json", action="store_true")


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.confidence import Calibration
    from knowledge.embedding import build_embedder
    from knowledge.evaluation import MODES, evaluate

    def progress(stage: str, done: int, total: int) -> None:
        print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    embedder = build_embedder(settings.embedder)
    calibration = Calibration.load(settings.index_dir, embedder.model_id)
    report = evaluate(args.folder, embedder, calibration=calibration, on_progress=progress)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return EXIT_OK
    lang = settings.language
    queries, documents = report["queries"], report["documents"]
    print(
        text(
            "cli_evaluate_head",
            lang,
            queries=text("n_queries", lang, count=queries),
            documents=text("n_documents", lang, count=documents),
            embedder=report["embedder"],
        )
    )
    names = ("mrr@10", "ndcg@10", "recall@1", "recall@5", "recall@10")
    print(f"{'':8}" + "".join(f"{n:>11}" for n in names))
    for mode in MODES:
        row = report[mode]
        assert isinstance(row, dict)
        print(f"{mode:8}" + "".join(f"{row[n]:>11.4f}" for n in names))
    confidence = report["confidence"]
    assert isinstance(confidence, dict)
    print(_confidence_lines(confidence["measured"], confidence["channel_threshold"], confidence["direct_threshold"]))
    return EXIT_OK


def _confidence_lines(measured: dict[str, float], channel_at: float, direct_at: float) -> str:
    return "\n".join(
        [
            f"channel (confidence >= {channel_at:.3f}): precision {measured['channel_precision']:.3f}, "
            f"answerable questions answered rightly {measured['channel_coverage']:.3f}",
            f"direct (confidence >= {direct_at:.3f}): answerable questions with a suggestion "
            f"{measured['direct_answered']:.3f}, with a right one {measured['direct_right_shown']:.3f}, "
            f"off-topic questions left unanswered {measured['off_topic_silent']:.3f}",
        ]
    )


def add_calibrate_arguments(calibrate: argparse.ArgumentParser) -> None:
    calibrate.add_argument(
        "folders",
        type=Path,
        nargs="+",
        metavar="FOLDER",
        help="folders in BEIR layout (corpus.jsonl, queries.jsonl, qrels.tsv): public sets or your own",
    )
    calibrate.add_argument("--dry-run", action="store_true", help="print the fit without storing it")
    calibrate.add_argument("--json", action="store_true")


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.embedding import build_embedder
    from knowledge.evaluation import calibrate

    def progress(stage: str, done: int, total: int) -> None:
        print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    try:
        calibration = calibrate(list(args.folders), build_embedder(settings.embedder), on_progress=progress)
    except KnowledgeError as exc:
        print(f"yorozu calibrate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    where = None if args.dry_run else calibration.save(settings.index_dir)
    if args.json:
        print(json.dumps({**calibration.to_json(), "stored": str(where) if where else None}, ensure_ascii=False))
        return EXIT_OK
    print(_confidence_lines(calibration.measured, calibration.auto_at, calibration.related_at))
    print(f"stored in {where} (used from the next start)" if where else "not stored (--dry-run)")
    return EXIT_OK


EVALUATE = Command("evaluate", "retrieval quality on a folder in BEIR layout", add_evaluate_arguments, cmd_evaluate)
CALIBRATE = Command(
    "calibrate",
    "fit the suggestion confidence for the embedder in use (questions with known answers)",
    add_calibrate_arguments,
    cmd_calibrate,
)
