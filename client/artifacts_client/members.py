"""Sharing: the owner adds member projects, each member accepts or rejects.

An artifact shared with a project reaches it only once the artifact's visibility is ``shared``
and the member has accepted; ``Client.share`` does both steps of the owner's side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artifacts_client.models import Member
from artifacts_client.paths import ArtifactLike, artifact_path, split

if TYPE_CHECKING:
    from artifacts_client.http import HttpSession

ACCEPTED, REJECTED, PENDING = "accepted", "rejected", "pending"


def _members_path(artifact: ArtifactLike, project: str | None = None) -> str:
    type_name, artifact_id = split(artifact)
    return artifact_path(type_name, artifact_id, "members", *([project] if project else []))


class MemberMethods:
    """The sharing half of :class:`artifacts_client.Client`."""

    http: HttpSession

    def members(self, artifact: ArtifactLike) -> list[Member]:
        """The artifact's members (a member sees only its own membership)."""
        body = self.http.json("GET", _members_path(artifact))
        return [Member.from_json(item) for item in body.get("members", [])]

    def member(self, artifact: ArtifactLike, project: str) -> Member:
        return Member.from_json(self.http.json("GET", _members_path(artifact, project)))

    def add_member(self, artifact: ArtifactLike, project: str) -> Member:
        """Offer the artifact to ``project``; the membership is ``pending`` until answered."""
        body = self.http.json("POST", _members_path(artifact), json={"member": project}, ok=(201,))
        return Member.from_json(body)

    def answer_share(self, artifact: ArtifactLike, project: str, status: str) -> Member:
        """The member project's answer: ``accepted``, ``rejected`` or back to ``pending``."""
        body = self.http.json("PUT", _members_path(artifact, project), json={"status": status})
        return Member.from_json(body)

    def remove_member(self, artifact: ArtifactLike, project: str) -> None:
        """Stop sharing with ``project``."""
        self.http.request("DELETE", _members_path(artifact, project), ok=(204,))
