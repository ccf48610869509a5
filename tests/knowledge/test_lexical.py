"""The lexical index's compact layout: a segment plus a delta scores exactly as one index would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import lexical
from knowledge.lexical import BM25Index

DOCS = {
    1: "人事異動の時のフォルダ権限の管理はどうしていますか",
    2: "ランサムウェア対策のバックアップ",
    3: "新人向けのセキュリティ研修の内容",
    4: "Excelマクロが属人化していて困っています",
    5: "LGWAN 端末の Windows 更新 と 配信方法",  # one-character runs too
    6: "フォルダのアクセス権をADのグループで管理",
}
QUERIES = ["フォルダ権限", "研", "バックアップ対策", "マクロ 属人化", "lgwan 更新", "管理"]


def rankings(index: BM25Index) -> list[list[tuple[int, float]]]:
    return [[(doc, round(score, 9)) for doc, score in index.search(q, 10)] for q in QUERIES]


def test_segment_and_delta_score_like_documents_added_one_by_one() -> None:
    one_by_one = BM25Index()
    for doc_id, text in DOCS.items():
        one_by_one.add(doc_id, text)
    built = BM25Index()
    built.add_many(list(DOCS.items())[:4], chunk=3)  # a segment (made of two)
    for doc_id, text in list(DOCS.items())[4:]:
        built.add(doc_id, text)  # and a delta
    assert rankings(built) == rankings(one_by_one)
    assert len(built) == 6 and 1 in built and 5 in built and 7 not in built


def test_replaced_and_removed_segment_documents_are_never_found() -> None:
    index = BM25Index()
    index.add_many(DOCS.items())
    index.add(1, "プリンタの設定")  # replace a segment document: the old postings are dead
    index.remove(2)
    assert all(doc != 1 for doc, _ in index.search("フォルダ権限", 10))
    assert index.search("バックアップ", 10) == []
    assert index.search("プリンタ", 1)[0][0] == 1
    assert len(index) == 5
    index.merge()
    assert index.search("バックアップ", 10) == []
    assert index.search("プリンタ", 1)[0][0] == 1
    assert len(index) == 5


def test_the_delta_merges_into_the_segment_once_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "DELTA_AT", 3)
    index = BM25Index()
    for doc_id, text in DOCS.items():
        index.add(doc_id, text)
    reference = BM25Index()
    monkeypatch.setattr(lexical, "DELTA_AT", 1000)
    for doc_id, text in DOCS.items():
        reference.add(doc_id, text)
    assert rankings(index) == rankings(reference)


def test_save_and_load_keep_segment_delta_and_dead_documents(tmp_path: Path) -> None:
    index = BM25Index()
    index.add_many(list(DOCS.items())[:4])
    index.remove(2)
    index.add(5, DOCS[5])
    path = tmp_path / "threads.bm25.npz"
    index.save(path, change_seq=17)
    loaded = BM25Index.load(path)
    assert loaded is not None
    copy, seq = loaded
    assert seq == 17
    assert rankings(copy) == rankings(index)
    copy.remove(5)  # the delta is live after loading
    copy.add(6, DOCS[6])
    assert copy.search("バックアップ", 10) == [] and copy.search("lgwan", 10) == []
    assert copy.search("アクセス権", 1)[0][0] == 6


def test_unreadable_file_loads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "threads.bm25.npz"
    assert BM25Index.load(path) is None
    path.write_bytes(b"not an index")
    assert BM25Index.load(path) is None


def test_knowledge_base_loads_its_lexical_index_and_catches_up(tmp_path: Path) -> None:
    from knowledge.base import LEXICAL_FILE, KnowledgeBase
    from knowledge.store import sqlite_url
    from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, PRINTER_THREAD, community
    from tests.fakes import FakeEmbedder

    def open_kb() -> KnowledgeBase:
        return KnowledgeBase.open(
            database_url=sqlite_url(tmp_path),
            embedder=FakeEmbedder(),
            index_dir=tmp_path / "index",
            abstain_below=FAKE_ABSTAIN_BELOW,
        )

    with open_kb() as kb:
        kb.ingest_many([*community(), *MACRO_THREAD])
        kb.sync()
    assert (tmp_path / "index" / LEXICAL_FILE).exists()
    with open_kb() as kb:
        assert kb.nearest("マクロ 保守", mode="lexical", k=3)
        kb.ingest_many(PRINTER_THREAD)  # changed after the file was saved: caught up by the next sync
        assert kb.nearest("複合機 リース", mode="lexical", k=1)
    (tmp_path / "index" / LEXICAL_FILE).write_bytes(b"damaged")
    with open_kb() as kb:  # a damaged file is rebuilt from the store
        assert len(kb.nearest("複合機 マクロ", mode="lexical", k=5)) == 2


def test_merging_after_removals_scores_like_a_fresh_index() -> None:
    index = BM25Index()
    index.add_many(DOCS.items(), chunk=2)
    index.remove(3)
    index.add(4, "Excelマクロの棚卸し")
    index.add(7, "マクロ 権限 管理")
    index.merge()
    fresh = BM25Index()
    fresh.add_many(
        [(d, t) for d, t in DOCS.items() if d not in (3, 4)] + [(4, "Excelマクロの棚卸し"), (7, "マクロ 権限 管理")]
    )
    assert rankings(index) == rankings(fresh)
    assert len(index) == len(fresh) == 6


def test_fast_terms_agree_with_the_text_module() -> None:
    from collections import Counter

    from knowledge.lexical import UNIGRAM, _document_terms, term_key
    from knowledge.text import document_tokens

    texts = [
        *DOCS.values(),
        "お疲れさまです。北山市の佐藤です。\nＡＤ（Active Directory）で一括変更、10〜12時に実施！",
        "a b 研 c_d e-f #tag user@example.jp 3.14 ＋α ✅ 🙂 ｶﾀｶﾅ",
        "   ",
        "。、！",
        "x",
    ]
    for text in texts:
        bigrams, unigrams = document_tokens(text)
        expected: Counter[int] = Counter(term_key(t) for t in bigrams)
        expected.update(term_key(UNIGRAM + ch) for ch in unigrams)
        counts, length = _document_terms(text)
        assert counts == dict(expected), text
        assert length == (max(1, len(bigrams)) if expected else 0), text


def test_skipping_common_terms_for_hopeless_documents_changes_no_score(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rarest terms first, the common ones only for documents that can still reach the top k: exact."""
    import random

    rng = random.Random(3)
    common = ["していますか", "ありがとうございます", "よろしくお願いします", "についての質問です"]
    rare = ["人事異動", "フォルダ権限", "ランサムウェア", "バックアップ", "マクロ", "LGWAN", "仕様書", "複合機", "研修"]
    rare += [f"システム{i}号" for i in range(40)]

    def text() -> str:
        words = rng.sample(rare, rng.randint(1, 4)) + rng.sample(common, rng.randint(1, 4))
        rng.shuffle(words)
        return "、".join(words)

    index = BM25Index()
    index.add_many((i, text()) for i in range(1, 3001))
    for doc_id in range(1, 3001, 13):
        index.remove(doc_id)  # dead segment documents never count towards the bound
    monkeypatch.setattr(lexical, "DELTA_AT", 40)
    for doc_id in range(5, 3001, 17):
        index.add(doc_id, text())  # replaced: in smaller segments and the delta
    assert len(index._segments) > 1 and index._lengths
    queries = [text() for _ in range(60)] + ["していますか", "研", "マクロ 権限"]
    finished: list[int] = []
    original = BM25Index._finish_candidates

    def spy(self: BM25Index, seg: object, terms: list[lexical._Term], *args: object) -> list[tuple[int, float]]:
        finished.append(len(terms))
        return original(self, seg, terms, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(BM25Index, "_finish_candidates", spy)
    pruned = [[round(score, 9) for _, score in index.search(q, k)] for q in queries for k in (3, 10, 50)]
    assert len(finished) > 50  # the shortcut was taken for most searches
    monkeypatch.setattr(lexical, "PRUNE_AT", ())  # every term scored for every document
    full = [[round(score, 9) for _, score in index.search(q, k)] for q in queries for k in (3, 10, 50)]
    assert pruned == full


def tiered(monkeypatch: pytest.MonkeyPatch) -> tuple[BM25Index, BM25Index]:
    """The same documents as several segments and a delta (documents arriving one by one) and as one."""
    monkeypatch.setattr(lexical, "DELTA_AT", 4)
    texts = {i: f"{DOCS[i % 6 + 1]} 第{i}号" for i in range(1, 60)}
    texts |= {i: DOCS[i % 6 + 1] + "の更新" for i in range(3, 60, 5)}  # replaced: in another tier than before
    index = BM25Index()
    for i in range(1, 60):
        index.add(i, f"{DOCS[i % 6 + 1]} 第{i}号")
    for i in range(3, 60, 5):
        index.add(i, texts[i])
    for i in range(2, 60, 9):
        index.remove(i)
    reference = BM25Index()
    reference.add_many([(i, t) for i, t in texts.items() if (i - 2) % 9])
    return index, reference


def test_segments_made_from_the_delta_score_like_one_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    index, reference = tiered(monkeypatch)
    assert len(index._segments) > 1 and index._lengths  # several segments and a delta
    assert len(index) == len(reference) == 52
    assert 2 not in index and 3 in index
    queries = [*QUERIES, "第17号", "の更新", "権限 第3号"]

    def scores(ix: BM25Index) -> list[list[float]]:
        return [sorted(round(s, 9) for _, s in ix.search(q, 60)) for q in queries]

    # Removed documents still count in document frequencies until their segment is merged, as before:
    # compare after merging, where both hold exactly the live documents.
    index.merge()
    assert len(index._segments) == 1
    assert scores(index) == scores(reference)
    assert [ix.search("第17号", 1)[0][0] for ix in (index, reference)] == [17, 17]


def test_several_segments_are_saved_and_loaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    index, _ = tiered(monkeypatch)
    path = tmp_path / "threads.bm25.npz"
    index.save(path, change_seq=5)
    loaded = BM25Index.load(path)
    assert loaded is not None and loaded[1] == 5
    copy = loaded[0]
    assert len(copy._segments) == len(index._segments) and len(copy) == len(index)
    assert rankings(copy) == rankings(index)
    assert [copy.search(q, 60) for q in ("第17号", "の更新")] == [index.search(q, 60) for q in ("第17号", "の更新")]


def test_a_file_of_the_previous_format_loads(tmp_path: Path) -> None:
    index = BM25Index()
    index.add_many(list(DOCS.items())[:4])
    index.remove(2)
    index.add(5, DOCS[5])
    (seg,) = index._segments
    path = tmp_path / "old.npz"
    np.savez(  # format 1: one segment, array names without a number
        path,
        header=np.asarray([1, 9], dtype=np.int64),
        params=np.asarray([index.k1, index.b]),
        doc_ids=seg.doc_ids,
        lengths=seg.lengths,
        alive=seg.alive,
        terms=seg.terms,
        offsets=seg.offsets,
        postings=seg.postings,
        tfs=seg.tfs,
        delta_ids=np.asarray(list(index._lengths), dtype=np.int64),
        delta_lengths=np.asarray(list(index._lengths.values()), dtype=np.int64),
        delta_postings=np.asarray(
            [(key, doc, tf) for key, posting in index._postings.items() for doc, tf in posting.items()], dtype=np.int64
        ).reshape(-1, 3),
    )
    loaded = BM25Index.load(path)
    assert loaded is not None and loaded[1] == 9
    assert rankings(loaded[0]) == rankings(index)


@pytest.mark.parametrize("k", [1, 7, 50, 400])
def test_the_kth_largest_score_by_way_of_a_sample_is_the_kth_largest(k: int) -> None:
    rng = np.random.default_rng(k)
    for size in (k, 63 * k, 100_000):
        scores = np.zeros(size)
        hit = rng.choice(size, size // 3, replace=False)
        scores[hit] = rng.integers(1, 12, len(hit)) * 0.25  # mostly zeros and ties, like partial BM25 scores
        scores[rng.choice(size, 3)] = 9.5
        assert lexical._kth_largest(scores, k) == np.sort(scores)[-k]
    ramp = np.arange(100_000, dtype=np.float64)  # the largest values all in one stretch the sample can miss
    assert lexical._kth_largest(ramp, k) == 100_000 - k


def test_the_kth_largest_score_when_few_documents_have_scored_yet() -> None:
    scores = np.zeros(100_000)
    scores[[5, 17, 40_001]] = [1.5, 0.25, 3.0]  # the sample of every 16th sees none of them
    assert lexical._kth_largest(scores, 2) == 1.5
    assert lexical._kth_largest(scores, 3) == 0.25
    assert lexical._kth_largest(scores, 50) == 0.0  # fewer than k positive: the k-th is a zero
