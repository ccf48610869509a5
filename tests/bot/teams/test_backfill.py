"""``yorozu backfill teams`` against a fake Microsoft Graph: paging, replies, 429 Retry-After, app tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.settings import Secret
from bot.teams.backfill import backfill
from bot.teams.tokens import ClientCredentialsTokens
from knowledge.base import KnowledgeBase
from knowledge.model import Scope
from knowledge.store import tables
from tests.bot.teams.fakes import GRAPH_GENERAL as GENERAL
from tests.bot.teams.fakes import GRAPH_PRIVATE as PRIVATE
from tests.bot.teams.fakes import GRAPH_QUESTION as QUESTION
from tests.bot.teams.fakes import GRAPH_TEAM as TEAM
from tests.bot.teams.fakes import FakeGraph, FakeMicrosoftLogin


async def test_backfill_fetches_every_page_and_is_safe_to_repeat(
    kb: KnowledgeBase, graph: tuple[FakeGraph, str], login: FakeMicrosoftLogin, tmp_path: Path
) -> None:
    fake, url = graph
    tokens = ClientCredentialsTokens(token_url=login.token_url, client_id="app", client_secret=Secret("s"))
    report = await backfill(kb, tokens, url, TEAM, None)
    assert report.messages == 5 and report.replies == 2
    paths = [p for p, _ in fake.calls]
    assert any("$skiptoken=2" in p for p in paths)  # followed @odata.nextLink
    assert any(p.endswith("/100/replies?$skiptoken=r2") for p in paths)  # replies beyond the expanded ones
    assert sum("/channels/19:general@thread.tacv2/messages?" in p for p in paths) == 3  # 429, retried, page 2
    assert all(auth.startswith("Bearer fake-access-token-") for _, auth in fake.calls)
    assert login.token_requests[-1]["scope"] == "https://graph.microsoft.com/.default"
    kb.sync()
    top = kb.suggest(QUESTION + "（再）", scope=Scope("teams", GENERAL)).suggestions[0]
    assert top.root_message_id == "100"
    assert {a.name for a in top.answerers} == {"u2", "u4"}
    # Channels get their Graph names and membership: the private one is private.
    with kb.store.begin() as conn:
        rows = {r.external_id: (r.name, r.visibility) for r in conn.execute(sa.select(tables.channels)).all()}
    assert rows == {GENERAL: ("General", "public"), PRIVATE: ("CISO連絡会", "private")}
    again = await backfill(kb, tokens, url, TEAM, [GENERAL])
    assert again.messages == 4
    assert kb.stats().messages == 5  # nothing stored twice


async def test_unknown_channel_is_an_error(
    kb: KnowledgeBase, graph: tuple[FakeGraph, str], login: FakeMicrosoftLogin
) -> None:
    from bot.teams.graph import GraphError

    tokens = ClientCredentialsTokens(token_url=login.token_url, client_id="app", client_secret=Secret("s"))
    with pytest.raises(GraphError, match="no channel"):
        await backfill(kb, tokens, graph[1], TEAM, ["19:nope@thread.tacv2"])
