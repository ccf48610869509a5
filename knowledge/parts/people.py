"""People: forgetting a person, opting out, names, subscriptions, 専門家に聞く, organisation rules.

Ranking people by their answers is :mod:`knowledge.people`; this part reads and writes what is stored
about them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from knowledge import ingest
from knowledge import search as s
from knowledge.errors import InvalidInput, InvalidQuestion, NotShareable
from knowledge.index.catch_up import CatchUp
from knowledge.model import Actor, ExpertRequest, Subscriber, Visibility
from knowledge.parts.roles import Roles
from knowledge.people import topic_matches
from knowledge.store import repository as repo

log = logging.getLogger(__name__)


class People(Roles, CatchUp):
    """What is stored about people and what they asked to hear about."""

    def forget_person(self, actor: Actor, platform: str, person_id: str, *, dry_run: bool = False) -> repo.Erasure:
        """Erase a person (a staff member who left and asked): their messages' texts, their name, e-mail
        and organisation, their feedback, FAQ authorship and verification shown, roles, subscriptions,
        and the jobs that carry their id, in one transaction. Admins only.

        Other people's messages stay; a thread whose question was theirs is hidden, as a deleted one is.
        Every touched thread gets a new change number and loses its stored vector, so every index
        (here at once, in other processes at their next catch-up) drops or re-derives it: the erased
        text is never found or shown again. A mention of them elsewhere shows no name any more.
        ``dry_run`` counts what would be erased and changes nothing.
        """
        self._require(actor, "forgetting people", admin=True)
        person_id = person_id.strip()
        if not person_id:
            raise InvalidInput("whom to forget: a person id such as U123")
        with self.store.begin() as conn:
            erased = repo.erase_person(conn, platform, person_id)
            if dry_run:
                conn.rollback()
                return erased
            unchanged = [t for t in erased.threads if not ingest.refresh_thread(conn, t)]
            repo.touch_threads(conn, unchanged)  # their vectors went: make every index look again
        self._apply_changes()
        log.info("forgot %s:%s (%d messages, %d threads)", platform, person_id, erased.messages, len(erased.threads))
        return erased

    def set_opt_out(self, platform: str, person_id: str, opted_out: bool) -> None:
        """``optout`` / ``optin``: an opted-out person is never named (suggestions, who, FAQ, follow-ups)
        and never pinged. Applies at once: names are read when shown, not stored in any index."""
        with self.store.begin() as conn:
            repo.set_opt_out(conn, platform, person_id, opted_out)

    def render_mentions(self, platform: str, text: str) -> str:
        """``text`` as shown: each mention reference named if that person may be named, else unnamed."""
        with self.store.begin() as conn:
            return repo.render_mentions(conn, platform, text)

    def is_opted_out(self, platform: str, person_id: str) -> bool:
        with self.store.begin() as conn:
            person = repo.find_people(conn, platform, [person_id]).get(person_id)
        return person is not None and person.opted_out

    def person_name(self, platform: str, person_id: str) -> str | None:
        """How a person is named (with their organisation); ``None`` when unknown or opted out."""
        with self.store.begin() as conn:
            person = repo.find_people(conn, platform, [person_id]).get(person_id)
        if person is None or person.opted_out:
            return None
        return f"{person.display_name}（{person.organization}）" if person.organization else person.display_name

    def subscribe(self, platform: str, person_id: str, topic: str, *, name: str | None = None) -> bool:
        """Ask to be pinged about questions on ``topic``; ``False`` when already subscribed.

        ``name`` records a person Yorozu has not seen post yet, so they can be pinged by name."""
        topic = " ".join(topic.split())
        if not topic or len(topic) > 200:
            raise InvalidInput("a topic needs 1 to 200 characters")
        with self.store.begin() as conn:
            if name and not repo.find_people(conn, platform, [person_id]):
                repo.upsert_person(
                    conn,
                    platform=platform,
                    external_id=person_id,
                    display_name=name,
                    organization=None,
                    email=None,
                    is_bot=False,
                )
            return repo.add_subscription(conn, platform, person_id, topic)

    def unsubscribe(self, platform: str, person_id: str, topic: str | None = None) -> int:
        """Stop pings for one topic (``None``: every topic); returns how many subscriptions went."""
        with self.store.begin() as conn:
            return repo.remove_subscription(conn, platform, person_id, " ".join(topic.split()) if topic else None)

    def subscriptions(self, platform: str, person_id: str) -> list[str]:
        with self.store.begin() as conn:
            return [t for p, i, t in repo.all_subscriptions(conn, platform) if i == person_id]

    def subscribers_for(self, question: str, *, platform: str | None = None) -> list[Subscriber]:
        """The people to ping about ``question``: only those subscribed to a matching topic.

        A topic matches when all its words appear in the question, or when its embedding is as close
        to the question's as a relevant thread must be (the abstain threshold). Opted-out people and
        bots are never pinged. ``platform`` keeps to people who can be pinged where the question is.
        """
        question = s.clean_question(question)
        if not question:
            raise InvalidQuestion("the question is empty")
        with self.store.begin() as conn:
            subs = repo.all_subscriptions(conn, platform)
            people: dict[tuple[str, str], repo.PersonRow] = {}
            for plat in {p for p, _, _ in subs}:
                found = repo.find_people(conn, plat, [i for p, i, _ in subs if p == plat])
                people.update({(plat, k): v for k, v in found.items()})
        if not subs:
            return []
        pending = [t for t in {t for _, _, t in subs} if not topic_matches(t, question)]
        close: set[str] = set()
        if pending:
            with self._lock:
                missing = [t for t in pending if t not in self._topic_vectors]
                if missing:
                    for topic, vector in zip(missing, self.embedder.embed_queries(missing), strict=True):
                        self._topic_vectors[topic] = vector
                qv = self.embedder.embed_queries([question])[0]
                close = {t for t in pending if float(self._topic_vectors[t] @ qv) >= self.abstain_below}
        out: dict[tuple[str, str], Subscriber] = {}
        for plat, person_id, topic in subs:
            person = people.get((plat, person_id))
            if person is None or person.opted_out or person.is_bot or (plat, person_id) in out:
                continue
            if topic in close or topic_matches(topic, question):
                out[(plat, person_id)] = Subscriber(plat, person_id, person.display_name, topic)
        return list(out.values())

    def expert_request(
        self,
        requester: Actor,
        question: str,
        *,
        platform: str,
        channel_id: str | None,
        message_id: str | None,
        ping_on: Collection[str] | None = None,
    ) -> ExpertRequest:
        """専門家に聞く: the question as the specialists' channel shows it, and the subscribers to ping.

        A question stored from a private channel or a DM may leave it only when its asker sends it
        (:class:`NotShareable` otherwise); a question asked to Yorozu directly (a personal chat, a slash
        command) was seen only by the requester, who is its asker. The requester is never pinged.

        Subscribers are pinged where the request is posted: on the question's own platform, or on the
        platforms ``ping_on`` names (a question from the web chat is posted by Slack or Teams).
        """
        question = s.clean_question(question)
        if not question:
            raise InvalidQuestion("the question is empty")
        asker_id: str | None = requester.person_id
        url = channel_name = None
        private = False
        with self.store.begin() as conn:
            channel = repo.find_channel(conn, platform, channel_id) if channel_id else None
            thread_id = (
                repo.find_thread_id(conn, platform, channel_id, message_id) if channel_id and message_id else None
            )
            view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
            if channel is not None:
                private = channel.visibility != Visibility.PUBLIC
                channel_name = channel.name if not private else None
            if view is not None:
                asker_id, url = view.asker_external_id, view.url
                if private and asker_id != requester.person_id:
                    raise NotShareable(
                        "a question from a private channel is sent to the specialists only by the person who asked it"
                    )
            person = repo.find_people(conn, platform, [asker_id]).get(asker_id) if asker_id else None
            question = repo.render_mentions(conn, platform, question)  # never a reference that would ping
        if person is not None:
            asker = None if person.opted_out else person.display_name
        else:
            asker = requester.name if asker_id == requester.person_id else None
        if ping_on is None:
            candidates = self.subscribers_for(question, platform=platform)
        else:
            candidates = [sub for sub in self.subscribers_for(question) if sub.platform in ping_on] if ping_on else []
        subscribers = tuple(
            sub for sub in candidates if (sub.platform, sub.person_id) != (requester.platform, requester.person_id)
        )
        return ExpertRequest(question, url, asker, channel_name, private, subscribers)

    def set_organization_rule(self, actor: Actor, kind: str, value: str, organization: str) -> None:
        """Map an e-mail domain (``email_domain``) or Teams tenant id (``teams_tenant``) to an organisation.

        Used for people whose platform gives no organisation; applies at once to everyone it matches.
        """
        self._require(actor, "editing organisation rules", admin=True)
        if kind not in repo.ORGANIZATION_RULE_KINDS:
            raise InvalidInput(f"a rule kind is one of {', '.join(repo.ORGANIZATION_RULE_KINDS)}, not {kind!r}")
        value = value.strip().lower().lstrip("@")
        if not value or not organization.strip():
            raise InvalidInput("a rule needs a value and an organisation")
        with self.store.begin() as conn:
            repo.set_organization_rule(conn, kind, value, organization.strip())

    def remove_organization_rule(self, actor: Actor, kind: str, value: str) -> bool:
        self._require(actor, "editing organisation rules", admin=True)
        with self.store.begin() as conn:
            return repo.remove_organization_rule(conn, kind, value.strip().lower().lstrip("@"))

    def organization_rules(self) -> list[tuple[str, str, str]]:
        """(kind, value, organisation) for every rule."""
        with self.store.begin() as conn:
            return sorted((k, v, o) for (k, v), o in repo.organization_rule_map(conn).items())
