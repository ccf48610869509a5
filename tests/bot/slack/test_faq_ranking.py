"""An FAQ entry made in Slack answers a reworded question first, marked FAQ with who verified it and when.

Uses the real default embedder (multilingual e5, bundled offline): with the fake hashing embedder a
reworded question shares too few bigrams for the ranking to mean anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.service import open_knowledge_base
from knowledge.embedding import Embedder, build_embedder
from tests.bot.slack.conftest import SlackClient, curation_settings, running_slack
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_direct import command
from tests.bot.slack.test_faq import message_shortcut, open_modal, submission
from tests.bot.slack.test_flow import BACKUP_A, BACKUP_Q, MACRO_A1, MACRO_Q, section_texts

# These tests load the real embedding model (the bundled e5, or the sample imported with it).
pytestmark = pytest.mark.model

PERMISSION_Q = "人事異動の時期のフォルダ権限の付け替え、皆さんどうやって管理していますか？"
PERMISSION_A = "異動一覧から権限変更の申請を作って、情シスで一括反映しています。"
TRAINING_Q = "新規採用職員の情報セキュリティ研修では何を教えていますか？"
TRAINING_A = "標的型メールの見分け方と、USBメモリの持ち出しルールを必ず扱います。"
CURATED_Q = "人事異動のとき、共有フォルダのアクセス権はどう変更すればよいですか？"
CURATED_A = "異動内示の一覧から権限変更の申請をまとめて作り、発令日に情報システム担当が一括で反映します。"
REWORDED = "異動でフォルダのアクセス権限を変えるとき、どういう手順で運用していますか？"


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return build_embedder("e5-small-q4")


@pytest.fixture
async def curated_e5(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, e5: Embedder
) -> AsyncIterator[SlackClient]:
    # No YOROZU_ABSTAIN_BELOW: the threshold calibrated for e5.
    settings = curation_settings(tmp_path, fake_slack, database_url, YOROZU_ABSTAIN_BELOW="")
    kb = open_knowledge_base(settings, embedder=e5)
    try:
        async with running_slack(settings, kb) as client:
            yield client
    finally:
        kb.close()


async def seed_community(slack: SlackClient) -> None:
    threads = [
        ("1700000000.000100", "U1", MACRO_Q, "U2", MACRO_A1),
        ("1700001000.000100", "U3", BACKUP_Q, "U4", BACKUP_A),
        ("1700002000.000100", "U1", PERMISSION_Q, "U2", PERMISSION_A),
        ("1700003000.000100", "U4", TRAINING_Q, "U3", TRAINING_A),
    ]
    for root, asker, question, answerer, answer in threads:
        assert await slack.message("C1", root, asker, question) == 200
        reply = root.replace(".000100", ".000200")
        assert await slack.message("C1", reply, answerer, answer, thread_ts=root) == 200
    await slack.drain()


async def test_a_published_entry_is_suggested_first_for_a_reworded_question(
    curated_e5: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_community(curated_e5)
    view = await open_modal(
        curated_e5, fake_slack, message_shortcut(fake_slack, ts="1700002000.000100", text=PERMISSION_Q)
    )
    status, body = await curated_e5.interact(
        submission(view, question=CURATED_Q, answer=CURATED_A, tags="人事異動; アクセス権", publish=True)
    )
    assert status == 200 and body["response_action"] == "update"
    (entry,) = curated_e5.kb.faq_list()
    # The indexer embeds the threads and the new entry (e5: ~0.3 s a pair); a question does not wait
    # for embedding, so this one is asked once it is done, as a person would a moment later.
    await asyncio.to_thread(curated_e5.kb.sync)

    await curated_e5.form(command(fake_slack, f"ask {REWORDED}", user="U2"))
    (answer,) = await fake_slack.wait_for_responses()
    sections = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]
    first = sections[1]  # after the intro
    assert "`FAQ`" in first and CURATED_Q in first
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert f"確認：高橋 誠（{today}）" in first
    assert "見直し" not in first  # verified today: not due for review
    # The entry links the thread it was made from (public and still there).
    assert "<https://aoba-jichitai.slack.com/archives/C1/p1700002000000100|" in first
    # The thread itself may follow, but only after the curated entry.
    assert all("`FAQ`" not in s for s in sections[2:])
    assert entry.verified_by == "高橋 誠"

    # A question about something else does not get the entry.
    await curated_e5.form(command(fake_slack, "ask 給食の献立はいつ決まりますか？", user="U2", name="r2"))
    (_, other) = await fake_slack.wait_for_responses(2)
    assert CURATED_Q not in section_texts(other["blocks"])
