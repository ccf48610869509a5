"""Property: whatever the channels' visibilities, wherever a question is asked and whatever it asks, no
answer path returns a thread outside its scope.

The paths: suggestions, ``who``, follow-ups, and what insights and the console show (the console's review
queue and insights are :meth:`KnowledgeBase.review_queue` and :meth:`KnowledgeBase.insights` as JSON).
A public thread may appear anywhere; a private-channel or DM thread only where the question is asked in
that same channel (DESIGN.md); insights and the console show public threads only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.model import Scope, Verdict, Visibility
from tests.conftest import T0

# One channel id on both platforms: a scope on one platform must never see the other's private channel.
CHANNELS = [("slack", "C1"), ("slack", "C2"), ("slack", "C3"), ("teams", "C1"), ("teams", "C4")]
TOPICS = ["VPN", "マクロ", "バックアップ", "複合機", "アクセス権", "LGWAN", "M365", "RPA"]
PEOPLE = ["P1", "P2", "P3", "P4"]
MARK = re.compile(r"TQ\d{2}")


@dataclass(frozen=True)
class Seeded:
    marker: str  # a word only this thread's title and text hold
    platform: str
    channel: str
    root: str
    answered: bool


def _seed(kb: KnowledgeBase) -> list[Seeded]:
    """Three threads per channel, the last one unanswered, every one naming two topics and its marker."""
    events: list[ev.Event] = [
        ev.PersonSeen(p, person, f"名前{person}") for p in ("slack", "teams") for person in PEOPLE
    ]
    seeded = []
    n = 0
    for platform, channel in CHANNELS:
        events.append(ev.ChannelSeen(platform, channel, f"{platform}-{channel}", Visibility.PUBLIC))
        for k in range(3):
            n += 1
            marker = f"TQ{n:02d}"
            first, second = TOPICS[n % len(TOPICS)], TOPICS[(n * 3 + 1) % len(TOPICS)]
            root = f"{n}.0"
            asked = T0 + timedelta(hours=n)
            events.append(
                ev.MessagePosted(
                    platform, channel, root, PEOPLE[n % 4], f"{marker} {first}と{second}はどうしていますか？", asked
                )
            )
            answered = k < 2
            if answered:
                events.append(
                    ev.MessagePosted(
                        platform,
                        channel,
                        f"{n}.1",
                        PEOPLE[(n + 1) % 4],
                        f"{marker} {first}は手順書で、{second}は年1回見直しています。",
                        asked + timedelta(minutes=30),
                        thread_id=root,
                    )
                )
            seeded.append(Seeded(marker, platform, channel, root, answered))
    kb.ingest_many(events)
    kb.sync()
    return seeded


visibilities = st.lists(st.sampled_from(list(Visibility)), min_size=len(CHANNELS), max_size=len(CHANNELS))
scopes = st.builds(
    Scope,
    platform=st.sampled_from([None, "slack", "teams"]),
    channel_id=st.sampled_from([None, "C1", "C2", "C3", "C4", "C9"]),
)
questions = st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3).map(
    lambda words: "と".join(words) + "はどうする？"
)


def _allowed(thread: Seeded, visibility: dict[tuple[str, str], Visibility], scope: Scope) -> bool:
    if visibility[thread.platform, thread.channel] == Visibility.PUBLIC:
        return True
    return scope.channel_id == thread.channel and scope.platform in (None, thread.platform)


def _markers(text: str) -> set[str]:
    return set(MARK.findall(text))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=visibilities, scope=scopes, question=questions, press=st.sampled_from(range(15)))
def test_no_answer_path_returns_a_thread_outside_its_scope(
    kb: KnowledgeBase, chosen: list[Visibility], scope: Scope, question: str, press: int
) -> None:
    if not kb.stats().threads:
        kb.seeded = _seed(kb)  # type: ignore[attr-defined]  # once per knowledge base, not per example
    seeded: list[Seeded] = kb.seeded  # type: ignore[attr-defined]
    by_marker = {s.marker: s for s in seeded}
    visibility = dict(zip(CHANNELS, chosen, strict=True))
    for (platform, channel), seen in visibility.items():
        kb.ingest(ev.ChannelSeen(platform, channel, f"{platform}-{channel}", seen))

    def outside(text: str, where: Scope) -> set[str]:
        return {m for m in _markers(text) if not _allowed(by_marker[m], visibility, where)}

    # Suggestions, with every threshold off so that as much as possible comes back.
    result = kb.suggest(question, scope=scope, abstain=False, require_answer=False, limit=20, record=True)
    for s in result.suggestions:
        thread = next(
            t for t in seeded if (t.platform, t.channel, t.root) == (s.platform, s.channel_id, s.root_message_id)
        )
        assert _allowed(thread, visibility, scope), (s.thread_id, visibility, scope)
    assert outside(json.dumps(result.to_json(), ensure_ascii=False), scope) == set()

    # who: the evidence titles.
    experts = kb.experts(question, scope=scope, limit=10)
    assert outside(json.dumps([e.to_json() for e in experts], ensure_ascii=False), scope) == set()

    # Follow-ups of every unanswered thread, as posted in its own channel.
    for thread in (t for t in seeded if not t.answered):
        followup = kb.followup_for(thread.platform, thread.channel, thread.root, now=T0 + timedelta(hours=30))
        if followup is not None:
            where = Scope(thread.platform, thread.channel)
            assert outside(json.dumps([e.to_json() for e in followup.experts], ensure_ascii=False), where) == set()

    # Insights and the console's review queue: public threads only, whoever looks.
    target = seeded[press]
    kb.record_feedback(
        platform=target.platform,
        channel_id=target.channel,
        question_message_id=f"q{press}",
        question=f"{target.marker} {question}",
        suggested_thread=f"{target.platform}:{target.channel}:{target.root}",
        person_id="P1",
        verdict=Verdict.UNHELPFUL,
    )
    nowhere = Scope("none", "none")  # no private channel is "here" for insights
    report = kb.insights(days=3650, now=T0 + timedelta(days=30))
    queue = [item.to_json() for item in kb.review_queue()]
    assert outside(json.dumps([report.to_json(), queue], ensure_ascii=False), nowhere) == set()
    private = {ch for ch, seen in visibility.items() if seen != Visibility.PUBLIC}
    for item in [*report.unanswered, *report.gaps]:
        assert (item.platform, item.channel_id) not in private
    for item in report.review_queue:
        assert item.private or (item.platform, item.channel_id) not in private
