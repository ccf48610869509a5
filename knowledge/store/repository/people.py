"""People: who they are, opting out, roles, subscriptions to topics, organisation rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.repository.common import _chunks, _upsert
from knowledge.store.tables import channels, messages, organization_rules, people, roles, subscriptions


@dataclass(frozen=True, slots=True)
class PersonRow:
    platform: str
    external_id: str
    display_name: str
    organization: str | None
    is_bot: bool
    opted_out: bool
    email: str | None = None


def upsert_person(
    conn: Connection,
    *,
    platform: str,
    external_id: str,
    display_name: str,
    organization: str | None,
    email: str | None,
    is_bot: bool,
    tenant_id: str | None = None,
) -> bool:
    """Create or update a person; ``True`` when anything changed (names shown with suggestions)."""
    row = conn.execute(
        sa.select(people).where(people.c.platform == platform, people.c.external_id == external_id)
    ).first()
    values: dict[str, object] = {
        "display_name": display_name,
        "organization": organization,
        "email": email,
        "is_bot": is_bot,
    }
    if tenant_id is not None:  # platforms that do not know the tenant leave it as it is
        values["tenant_id"] = tenant_id
    if row is not None and all(getattr(row, k) == v for k, v in values.items()):
        return False
    if row is None:
        values["opted_out"] = False
    _upsert(conn, people, {"platform": platform, "external_id": external_id}, values)
    return True


def find_people(conn: Connection, platform: str, external_ids: Iterable[str]) -> dict[str, PersonRow]:
    ids = sorted(set(external_ids))
    if not ids:
        return {}
    out: dict[str, PersonRow] = {}
    rules: dict[tuple[str, str], str] | None = None
    for chunk in _chunks(ids, 500):
        rows = conn.execute(sa.select(people).where(people.c.platform == platform, people.c.external_id.in_(chunk)))
        for row in rows:
            organization = row.organization
            if not organization:
                # Read at display time, so an admin's edit of the rules applies to everyone at once.
                rules = organization_rule_map(conn) if rules is None else rules
                organization = resolve_organization(rules, email=row.email, tenant_id=row.tenant_id)
            out[row.external_id] = PersonRow(
                platform=row.platform,
                external_id=row.external_id,
                display_name=row.display_name,
                organization=organization,
                is_bot=bool(row.is_bot),
                opted_out=bool(row.opted_out),
                email=row.email,
            )
    return out


class PeopleCache:
    """People as one request sees them: :meth:`find` answers from what was read and reads only the rest,
    and :meth:`prefetch` reads many people of a platform at once."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._known: dict[tuple[str, str], PersonRow | None] = {}

    def prefetch(self, people: Iterable[tuple[str, str | None]]) -> None:
        wanted: dict[str, set[str]] = {}
        for platform, person_id in people:
            if person_id and (platform, person_id) not in self._known:
                wanted.setdefault(platform, set()).add(person_id)
        for platform, ids in wanted.items():
            found = find_people(self._conn, platform, ids)
            self._known.update({(platform, i): found.get(i) for i in ids})

    def find(self, platform: str, external_ids: Iterable[str]) -> dict[str, PersonRow]:
        """The same as :func:`find_people`."""
        ids = list(external_ids)
        self.prefetch((platform, i) for i in ids)
        return {i: person for i in ids if (person := self._known.get((platform, i))) is not None}


def people_in_threads(conn: Connection, platform: str, external_ids: Sequence[str]) -> list[int]:
    """Threads with a message by any of these people (their names appear with suggestions)."""
    if not external_ids:
        return []
    query = (
        sa.select(messages.c.thread_id)
        .join(channels, channels.c.id == messages.c.channel_id)
        .where(channels.c.platform == platform, messages.c.author_external_id.in_(list(external_ids)))
        .distinct()
    )
    return list(conn.execute(query).scalars())


def set_opt_out(conn: Connection, platform: str, external_id: str, opted_out: bool) -> None:
    """Remember a person's choice; a person not seen yet gets a placeholder row so the choice holds."""
    updated = conn.execute(
        people.update()
        .where(people.c.platform == platform, people.c.external_id == external_id)
        .values(opted_out=opted_out)
    ).rowcount
    if not updated:
        conn.execute(
            people.insert().values(
                platform=platform, external_id=external_id, display_name=external_id, is_bot=False, opted_out=opted_out
            )
        )


def grant_role(conn: Connection, platform: str, external_id: str, role: str, granted_by: str | None) -> bool:
    """Store a role; ``False`` when the person already had it."""
    key = sa.and_(roles.c.platform == platform, roles.c.person_external_id == external_id, roles.c.role == role)
    if conn.execute(sa.select(roles.c.role).where(key)).first() is not None:
        return False
    conn.execute(
        roles.insert().values(
            platform=platform,
            person_external_id=external_id,
            role=role,
            granted_by=granted_by,
            created_at=datetime.now(UTC),
        )
    )
    return True


def revoke_role(conn: Connection, platform: str, external_id: str, role: str) -> bool:
    key = sa.and_(roles.c.platform == platform, roles.c.person_external_id == external_id, roles.c.role == role)
    return bool(conn.execute(roles.delete().where(key)).rowcount)


def stored_roles(conn: Connection) -> list[tuple[str, str, str, str | None]]:
    """(platform, person id, role, granted by) for every role granted by command."""
    query = sa.select(roles).order_by(roles.c.role, roles.c.platform, roles.c.person_external_id)
    return [(r.platform, r.person_external_id, r.role, r.granted_by) for r in conn.execute(query)]


def roles_of(conn: Connection, platform: str, external_id: str) -> set[str]:
    query = sa.select(roles.c.role).where(roles.c.platform == platform, roles.c.person_external_id == external_id)
    return set(conn.execute(query).scalars())


def add_subscription(conn: Connection, platform: str, external_id: str, topic: str) -> bool:
    key = sa.and_(
        subscriptions.c.platform == platform,
        subscriptions.c.person_external_id == external_id,
        subscriptions.c.topic == topic,
    )
    if conn.execute(sa.select(subscriptions.c.topic).where(key)).first() is not None:
        return False
    conn.execute(
        subscriptions.insert().values(
            platform=platform, person_external_id=external_id, topic=topic, created_at=datetime.now(UTC)
        )
    )
    return True


def remove_subscription(conn: Connection, platform: str, external_id: str, topic: str | None) -> int:
    """Remove one topic (or, with ``None``, all of a person's topics); returns how many went."""
    where = sa.and_(subscriptions.c.platform == platform, subscriptions.c.person_external_id == external_id)
    if topic is not None:
        where = sa.and_(where, subscriptions.c.topic == topic)
    return int(conn.execute(subscriptions.delete().where(where)).rowcount)


def all_subscriptions(conn: Connection, platform: str | None = None) -> list[tuple[str, str, str]]:
    """(platform, person id, topic), optionally of one platform."""
    query = sa.select(subscriptions).order_by(subscriptions.c.platform, subscriptions.c.person_external_id)
    if platform is not None:
        query = query.where(subscriptions.c.platform == platform)
    return [(r.platform, r.person_external_id, r.topic) for r in conn.execute(query)]


ORGANIZATION_RULE_KINDS = ("email_domain", "teams_tenant")


def set_organization_rule(conn: Connection, kind: str, value: str, organization: str) -> None:
    where = sa.and_(organization_rules.c.kind == kind, organization_rules.c.value == value)
    if not conn.execute(organization_rules.update().where(where).values(organization=organization)).rowcount:
        conn.execute(organization_rules.insert().values(kind=kind, value=value, organization=organization))


def remove_organization_rule(conn: Connection, kind: str, value: str) -> bool:
    where = sa.and_(organization_rules.c.kind == kind, organization_rules.c.value == value)
    return bool(conn.execute(organization_rules.delete().where(where)).rowcount)


def organization_rule_map(conn: Connection) -> dict[tuple[str, str], str]:
    """(kind, value) -> organisation, for every rule."""
    return {(r.kind, r.value): r.organization for r in conn.execute(sa.select(organization_rules))}


def resolve_organization(
    rules: Mapping[tuple[str, str], str], *, email: str | None, tenant_id: str | None
) -> str | None:
    """The organisation the rules give a person: the e-mail domain (or a parent domain) first, then the tenant."""
    if email and "@" in email:
        domain = email.rsplit("@", 1)[1].strip().lower()
        parts = domain.split(".")
        # "soumu.city.kitayama.lg.jp" matches a rule for "city.kitayama.lg.jp".
        for i in range(len(parts) - 1):
            found = rules.get(("email_domain", ".".join(parts[i:])))
            if found:
                return found
    if tenant_id:
        return rules.get(("teams_tenant", tenant_id.strip().lower()))
    return None
