"""Who answered what: ranking people by their answers in threads similar to a topic."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from knowledge.model import EvidenceThread, Expert
from knowledge.store.repository import MessageRow, PersonRow, ThreadView
from knowledge.text import normalize

EXPERT_HALF_LIFE_DAYS = 540.0
ACCEPTED_WEIGHT = 2.0


@dataclass
class _Tally:
    score: float = 0.0
    answers: int = 0
    accepted: int = 0
    helpful: int = 0
    latest: datetime | None = None
    titles: list[str] = field(default_factory=list)
    evidence: list[EvidenceThread] = field(default_factory=list)


def rank_experts(
    threads: Iterable[tuple[ThreadView, float]],
    people: dict[tuple[str, str], PersonRow],
    *,
    now: datetime,
    limit: int = 5,
    helpful: Mapping[int, set[str]] | None = None,
    exclude: set[tuple[str, str]] | None = None,
) -> list[Expert]:
    """People ranked by weighted answers in similar threads.

    Each thread a person answered counts by its similarity to the topic, double when their answer was
    the accepted one or someone pressed 解決した on it when Yorozu suggested it (``helpful``: thread id ->
    answer message ids), and fades with age (half-life ``EXPERT_HALF_LIFE_DAYS``). Several replies in one
    thread count once. ``exclude`` leaves out (platform, person id) pairs, e.g. the asker.
    Opted-out people and bots are never named.
    """
    helpful = helpful or {}
    exclude = exclude or set()
    tallies: dict[tuple[str, str], _Tally] = {}
    for view, weight in threads:
        by_person: dict[str, list[MessageRow]] = {}
        for answer in view.answers:
            if answer.author_external_id is not None:
                by_person.setdefault(answer.author_external_id, []).append(answer)
        for person_id, answers in by_person.items():
            key = (view.platform, person_id)
            person = people.get(key)
            if (person is not None and (person.opted_out or person.is_bot)) or key in exclude:
                continue
            accepted = any(a.id == view.accepted_message_id for a in answers)
            found_helpful = any(a.external_id in helpful.get(view.thread_id, ()) for a in answers)
            latest = max(a.posted_at for a in answers)
            age_days = max(0.0, (now - latest).total_seconds() / 86400)
            tally = tallies.setdefault(key, _Tally())
            tally.score += (
                weight
                * (ACCEPTED_WEIGHT if accepted or found_helpful else 1.0)
                * math.pow(0.5, age_days / EXPERT_HALF_LIFE_DAYS)
            )
            tally.answers += 1
            tally.accepted += int(accepted)
            tally.helpful += int(found_helpful)
            tally.latest = max(tally.latest, latest) if tally.latest else latest
            if len(tally.titles) < 3:
                tally.titles.append(view.title)
                key_text = f"{view.platform}:{view.channel_external_id}:{view.root_external_id}"
                tally.evidence.append(EvidenceThread(key_text, view.title, view.url, accepted))
    ranked = sorted(tallies.items(), key=lambda item: item[1].score, reverse=True)[:limit]
    out = []
    for key, tally in ranked:
        person = people.get(key)
        person_id = key[1]
        assert tally.latest is not None
        out.append(
            Expert(
                name=person.display_name if person else person_id,
                organization=person.organization if person else None,
                answers=tally.answers,
                accepted=tally.accepted,
                latest=tally.latest,
                score=tally.score,
                thread_titles=tuple(tally.titles),
                helpful=tally.helpful,
                platform=key[0],
                person_id=person_id,
                evidence=tuple(tally.evidence),
                contact_url=contact_url(key[0], person_id, person.email if person else None),
            )
        )
    return out


def contact_url(platform: str, person_id: str, email: str | None) -> str | None:
    """A link that opens a chat with a person on their platform, where the platform has one.

    Slack: ``app_redirect`` with the member id opens the direct message in the workspace the browser is
    signed in to. Teams: the documented chat deep link names people by their sign-in address (UPN), so
    only a person whose address Yorozu knows gets a link.
    """
    if platform == "slack" and person_id:
        return f"https://slack.com/app_redirect?channel={quote(person_id, safe='')}"
    if platform == "teams" and email:
        return f"https://teams.microsoft.com/l/chat/0/0?users={quote(email, safe='@')}"
    return None


def topic_matches(topic: str, question: str) -> bool:
    """Keyword match of a subscription topic: every word of the topic appears in the question."""
    words = normalize(topic).split(" ")
    text = normalize(question)
    return bool(words) and all(w in text for w in words if w)
