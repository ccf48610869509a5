"""Forgetting a person (``yorozu forget slack:U123``): their texts, name and e-mail go from every table and
index at once; other people's messages stay. On SQLite and PostgreSQL (the ``kb`` fixture's databases)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.service import open_knowledge_base
from bot.settings import Settings
from knowledge import events as ev
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.errors import NotAllowed
from knowledge.model import Actor, Role, Scope, Verdict
from knowledge.store.tables import metadata
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, community, post, run_cli
from tests.fakes import FakeEmbedder

SUZUKI = ("slack", "U2")
SUZUKI_EMAIL = "hanako.suzuki@town.minamikawa.lg.jp"
# What only 鈴木 wrote (besides her answer in MACRO_THREAD): another answer in 佐藤's thread and a question of
# her own, answered by 佐藤.
SUZUKI_ANSWER = post(
    "C1", "100.5", "U2", "ZQXLEDGER という台帳にマクロを登録し、棚卸しは年2回にしています。", 1.5, thread="100.0"
)
SUZUKI_QUESTION = post("C1", "500.0", "U2", "QRWIKI の庁内ポータルへの移行はどう進めましたか？", 5)
SATO_REPLY = post("C1", "500.1", "U1", "うちは段階移行で、まず総務の文書から移しました。", 6, thread="500.0")
SECRETS = ("鈴木", "花子", SUZUKI_EMAIL, "ZQXLEDGER", "QRWIKI", "南川町")


def _everything(kb: KnowledgeBase) -> str:
    """Every row of every table, as text."""
    rows = []
    with kb.store.begin() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                rows.append(repr(tuple(v.decode("latin-1") if isinstance(v, bytes) else v for v in row)))
    return "\n".join(rows)


def _shown(kb: KnowledgeBase) -> str:
    """What every answer path shows."""
    outputs: list[object] = []
    for question in ("ZQXLEDGER 台帳 マクロ", "QRWIKI ポータル 移行", MACRO_THREAD[0].text):
        found = kb.suggest(question, abstain=False, require_answer=False, limit=10)
        outputs.append([s.to_json() for s in found.suggestions])  # not the question itself
        outputs.append([e.to_json() for e in kb.experts(question)])
    outputs.append([e.to_json() for e in kb.faq_list()])
    outputs.append([[v.to_json() for v in kb.faq_history(e.id)] for e in kb.faq_list()])
    outputs.append(kb.insights(days=3650, include_private=True).to_json())
    outputs.append([r.to_json() for r in kb.review_queue(include_private=True)])
    return json.dumps(outputs, ensure_ascii=False, default=str)


@pytest.fixture
def filled(kb: KnowledgeBase) -> KnowledgeBase:
    events = [
        *community(),
        ev.PersonSeen("slack", "U2", "鈴木 花子", "南川町 総務課", email=SUZUKI_EMAIL),
        *MACRO_THREAD,
        SUZUKI_ANSWER,
        SUZUKI_QUESTION,
        SATO_REPLY,
        ev.ReactionChanged("slack", "C1", "100.2", "U2", "+1"),
    ]
    kb.ingest_many(events)
    kb.grant_role(Actor.operator(), *SUZUKI, Role.SPECIALIST)
    suzuki = Actor("slack", "U2", "鈴木 花子")
    entry = kb.faq_create(suzuki, question="マクロの台帳は？", answer="庁内の台帳に登録します。", publish=True)
    kb.faq_verify(suzuki, entry.id)
    kb.subscribe(*SUZUKI, "マクロ")
    kb.suggest(
        SUZUKI_QUESTION.text, scope=Scope("slack", "C1"), exclude=ExcludeThread("slack", "C1", "500.0"), record=True
    )
    for person, verdict in (("U2", Verdict.UNHELPFUL), ("U4", Verdict.UNHELPFUL)):
        kb.record_feedback(
            platform="slack",
            channel_id="C1",
            question_message_id="500.0" if person == "U4" else "100.0",
            question=SUZUKI_QUESTION.text if person == "U4" else MACRO_THREAD[0].text,
            suggested_thread="slack:C1:100.0",
            person_id=person,
            verdict=verdict,
        )
    kb.enqueue("slack.direct", {"channel": "D1", "user": "U2", "text": "QRWIKI の件"}, key="direct:slack:D1:1.0")
    kb.sync()
    return kb


def test_a_forgotten_person_is_erased_everywhere_at_once(filled: KnowledgeBase, tmp_path: Path) -> None:
    kb = filled
    # Another replica on the same database, its indexes already holding her texts.
    other = KnowledgeBase.open(
        database_url=str(kb.store.engine.url.render_as_string(hide_password=False)),
        embedder=FakeEmbedder(),
        index_dir=tmp_path / "other",
        abstain_below=FAKE_ABSTAIN_BELOW,
    )
    try:
        before = _shown(kb)
        assert all(secret in _everything(kb) for secret in SECRETS)
        assert "QRWIKI" in before and "鈴木 花子" in before and "南川町" in before
        assert [t for t, _ in kb.nearest("ZQXLEDGER", mode="lexical", k=5)]
        assert [t for t, _ in other.nearest("QRWIKI", mode="lexical", k=5)]

        with pytest.raises(NotAllowed):
            kb.forget_person(Actor("slack", "U4"), *SUZUKI)
        preview = kb.forget_person(Actor.operator(), *SUZUKI, dry_run=True)
        assert (preview.messages, len(preview.threads), preview.person) == (3, 2, True)
        assert "QRWIKI" in _everything(kb)  # a dry run changes nothing

        erased = kb.forget_person(Actor.operator(), *SUZUKI)
        assert (erased.messages, erased.reactions, erased.feedback, erased.jobs, erased.person) == (3, 1, 1, 1, True)
        assert erased.queries == 1 and erased.faq_entries == 2

        stored = _everything(kb)
        for secret in SECRETS:
            assert secret not in stored, secret
        for base in (kb, other):  # effective at once, in this process and in the other replica
            assert base.nearest("ZQXLEDGER", mode="lexical", k=5) == []
            assert base.nearest("QRWIKI", mode="lexical", k=5) == []
            shown = _shown(base)
            for secret in SECRETS:
                assert secret not in shown, secret
        # Other people's messages stay: 佐藤's question and 高橋's answer are suggested as before, and 佐藤's
        # reply in her (now hidden) thread is still stored.
        top = kb.suggest(MACRO_THREAD[0].text).suggestions[0]
        assert top.root_message_id == "100.0" and [a.name for a in top.answerers] == ["高橋 誠"]
        assert SATO_REPLY.text in stored and MACRO_THREAD[2].text in stored
        assert kb.faq_list()[0].question == "マクロの台帳は？"  # the curated entry stays, unsigned
        assert (kb.faq_list()[0].owner, kb.faq_list()[0].verified_by) == (None, None)
        # A late retry of her message stores nothing again.
        assert kb.ingest(SUZUKI_ANSWER) is False
        assert "ZQXLEDGER" not in _everything(kb)
    finally:
        other.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    with open_knowledge_base(Settings.from_env({"YOROZU_DATA_DIR": str(folder)})) as kb:
        kb.ingest_many([*community(), *MACRO_THREAD, SUZUKI_ANSWER])
        kb.sync()
    yield folder


def test_the_command_previews_then_forgets(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, data_dir, "forget", "slack:U2")
    assert code == 0 and "--yes" in out and "メッセージ 2 件" in out
    code, out, _ = run_cli(capsys, data_dir, "forget", "slack:U2", "--yes", "--json")
    assert code == 0 and json.loads(out)["messages"] == 2 and json.loads(out)["erased"] is True
    code, out, _ = run_cli(capsys, data_dir, "ask", "--json", "ZQXLEDGER の台帳")
    suggestions = json.loads(out)["suggestions"]
    assert code == 0 and all("ZQXLEDGER" not in s["answer_excerpt"] for s in suggestions)
    assert "鈴木" not in out
    code, out, _ = run_cli(capsys, data_dir, "forget", "slack:U2", "--yes")
    assert code == 0 and "nothing is stored" in out
    with pytest.raises(SystemExit) as bad:
        run_cli(capsys, data_dir, "forget", "U2")
    assert bad.value.code == 2 and "slack:U123" in capsys.readouterr().err
