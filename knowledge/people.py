"""Who answered what: ranking people by their answers in threads similar to a topic."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from knowledge.model import Expert
from knowledge.store.repository import PersonRow, ThreadView

EXPERT_HALF_LIFE_DAYS = 540.0
ACCEPTED_WEIGHT = 2.0


@dataclass
class _Tally:
    score: float = 0.0
    answers: int = 0
    accepted: int = 0
    latest: datetime | None = None
    titles: list[str] = field(default_factory=list)


def rank_experts(
    threads: Iterable[tuple[ThreadView, float]],
    people: dict[tuple[str, str], PersonRow],
    *,
    now: datetime,
    limit: int = 5,
) -> list[Expert]:
    """People ranked by weighted answers in similar threads.

    Each answer counts by the thread's similarity to the topic, double when it was the accepted one,
    and fades with age (half-life ``EXPERT_HALF_LIFE_DAYS``). Several answers in one thread count once.
    Opted-out people and bots are never named.
    """
    tallies: dict[tuple[str, str], _Tally] = {}
    for view, weight in threads:
        seen: set[str] = set()
        for answer in view.answers:
            person_id = answer.author_external_id
            if person_id is None or person_id in seen:
                continue
            seen.add(person_id)
            key = (view.platform, person_id)
            person = people.get(key)
            if person is not None and (person.opted_out or person.is_bot):
                continue
            accepted = any(
                a.id == view.accepted_message_id and a.author_external_id == person_id for a in view.answers
            )
            age_days = max(0.0, (now - answer.posted_at).total_seconds() / 86400)
            tally = tallies.setdefault(key, _Tally())
            tally.score += weight * (ACCEPTED_WEIGHT if accepted else 1.0) * math.pow(0.5, age_days / EXPERT_HALF_LIFE_DAYS)
            tally.answers += 1
            tally.accepted += int(accepted)
            tally.latest = max(tally.latest, answer.posted_at) if tally.latest else answer.posted_at
            if len(tally.titles) < 3:
                tally.titles.append(view.title)
    ranked = sorted(tallies.items(), key=lambda item: item[1].score, reverse=True)[:limit]
    out = []
    for (_, person_id), tally in ranked:
        person = people.get((_, person_id))
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
            )
        )
    return out
