"""The ack path stores and returns: embedding, search and replies run afterwards."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.service import KnowledgeService
from bot.slack import mount
from knowledge.base import KnowledgeBase
from knowledge.embedding import Vectors
from tests.bot.slack.conftest import SlackClient, slack_settings
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_flow import MACRO_Q
from tests.fakes import FakeEmbedder


class SlowEmbedder(FakeEmbedder):
    """Embeds documents only once ``release`` is set: the ack must not wait for it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.started = threading.Event()
        # Set when embedding gave up waiting: an ack that waited for the embedder would only come then
        # (the test releases it only after the ack), so this is how such an ack fails the test.
        self.gave_up = False

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.started.set()
        if not self.release.wait(timeout=20):
            self.gave_up = True
        return super().embed_documents(texts)


@pytest.fixture
def embedder() -> FakeEmbedder:
    return SlowEmbedder()


@pytest.fixture
async def slow_slack(kb: KnowledgeBase, fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackClient]:
    app = create_app(slack_settings(tmp_path, fake_slack), service=KnowledgeService(kb), platforms=[mount])
    async with TestServer(app, host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as http:
        yield SlackClient(server, http, app, kb)


async def test_the_ack_does_not_wait_for_the_embedder(
    slow_slack: SlackClient, fake_slack: FakeSlack, embedder: SlowEmbedder, kb: KnowledgeBase
) -> None:
    status = await slow_slack.message("C1", "1700000000.000100", "U1", MACRO_Q)
    assert status == 200
    # Stored durably before the ack, and the embedder is still blocked: the ack did not wait for it.
    assert kb.stats().messages == 1
    assert not embedder.gave_up
    await asyncio.to_thread(embedder.started.wait, 5)
    assert embedder.started.is_set()
    embedder.release.set()
    await slow_slack.drain()
    assert kb.stats().indexed == 1
    assert not embedder.gave_up  # it was released by this test, after the ack
