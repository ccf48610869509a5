"""Roles: who may curate and administer (from settings, and granted by command)."""

from __future__ import annotations

from knowledge.errors import NotAllowed
from knowledge.model import Actor, Role
from knowledge.state import KnowledgeState
from knowledge.store import repository as repo


class Roles(KnowledgeState):
    """People's roles and the check every curating or administering call starts with."""

    def roles_of(self, platform: str, person_id: str) -> set[Role]:
        """A person's roles: from settings and granted by command (the CLI operator is an admin)."""
        if platform == Actor.operator().platform:
            return {Role.ADMIN}
        with self.store.begin() as conn:
            stored = {Role(r) for r in repo.roles_of(conn, platform, person_id)}
        return stored | self.configured_roles.get((platform, person_id), set())

    def _require(self, actor: Actor, action: str, *, admin: bool = False) -> None:
        """Raise :class:`NotAllowed` unless ``actor`` is an admin (or, unless ``admin``, a specialist)."""
        held = self.roles_of(actor.platform, actor.person_id)
        needed = {Role.ADMIN} if admin else {Role.ADMIN, Role.SPECIALIST}
        if not held & needed:
            raise NotAllowed(str(actor), action, "admin" if admin else "admin or specialist")

    def is_curator(self, platform: str, person_id: str) -> bool:
        """Whether this person may curate FAQ entries (the platforms show FAQにする only to them)."""
        return bool(self.roles_of(platform, person_id) & {Role.ADMIN, Role.SPECIALIST})

    def grant_role(self, actor: Actor, platform: str, person_id: str, role: Role) -> bool:
        """An admin gives a person a role; ``False`` when they already had it."""
        self._require(actor, "granting roles", admin=True)
        with self.store.begin() as conn:
            return repo.grant_role(conn, platform, person_id, str(Role(role)), str(actor))

    def revoke_role(self, actor: Actor, platform: str, person_id: str, role: Role) -> bool:
        """An admin removes a role granted by command (roles from settings are removed there)."""
        self._require(actor, "removing roles", admin=True)
        with self.store.begin() as conn:
            return repo.revoke_role(conn, platform, person_id, str(Role(role)))

    def list_roles(self) -> list[tuple[str, str, Role, str]]:
        """(platform, person id, role, source) where source is ``settings`` or who granted it."""
        out = [(p, i, r, "settings") for (p, i), held in self.configured_roles.items() for r in sorted(held)]
        with self.store.begin() as conn:
            out.extend((p, i, Role(r), by or "command") for p, i, r, by in repo.stored_roles(conn))
        return sorted(out)
