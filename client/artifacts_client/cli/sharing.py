"""Sharing between projects: the owner shares, the member accepts or rejects."""

from __future__ import annotations

import click

from artifacts_client.cli import output
from artifacts_client.cli.commands import pass_session, reference_argument, resolve
from artifacts_client.cli.session import Session
from artifacts_client.client import Client
from artifacts_client.errors import NotFound
from artifacts_client.members import ACCEPTED, REJECTED
from artifacts_client.models import Artifact
from artifacts_client.refs import parse_reference


@click.command()
@reference_argument
@click.argument("projects", metavar="PROJECT...", nargs=-1, required=True)
@output.format_option
@pass_session
def share(session: Session, reference: str, projects: tuple[str, ...], output_format: str) -> None:
    """Share an artifact with projects; each member then accepts.

    The artifact's visibility becomes 'shared' if it was private.
    """
    client = session.client
    output.members(client.share(resolve(client, reference), *projects), output_format)


@click.command()
@reference_argument
@click.argument("projects", metavar="PROJECT...", nargs=-1, required=True)
@pass_session
def unshare(session: Session, reference: str, projects: tuple[str, ...]) -> None:
    """Stop sharing an artifact with projects."""
    client = session.client
    found = resolve(client, reference)
    for project in projects:
        client.remove_member(found, project)


@click.command()
@reference_argument
@output.format_option
@pass_session
def members(session: Session, reference: str, output_format: str) -> None:
    """The projects an artifact is shared with, and their answers."""
    client = session.client
    output.members(client.members(resolve(client, reference)), output_format)


def _offered(client: Client, reference: str) -> Artifact:
    """The artifact a reference names, among the shares still waiting for an answer too."""
    try:
        return resolve(client, reference)
    except NotFound:
        ref = parse_reference(reference)
        if ref.name is None or ref.type_name is None:
            raise
        found = next(
            client.list(
                ref.type_name,
                name=ref.name,
                version=ref.version_range,
                sort="version:desc",
                limit=1,
                member_status="pending",
            ),
            None,
        )
        if found is None:
            raise
        return found


def _own_project(session: Session) -> str | None:
    """The caller's project as the server resolves it, or as configured where the server
    has no ``/whoami`` (Glare itself)."""
    try:
        return session.client.whoami().project_id
    except NotFound:
        return session.profile.project


def _answer(status: str, doc: str) -> click.Command:
    @click.command(status[:-2] if status.endswith("ed") else status, help=doc)
    @reference_argument
    @output.format_option
    @pass_session
    def command(session: Session, reference: str, output_format: str) -> None:
        client = session.client
        found = _offered(client, reference)
        project = _own_project(session)
        if project is None:
            raise click.UsageError("answering a share needs a project: set --project or a token")
        output.members([client.answer_share(found, project, status)], output_format)

    return command


accept = _answer(ACCEPTED, "Accept an artifact shared with your project: it shows in ls.")
reject = _answer(REJECTED, "Reject an artifact shared with your project.")

COMMANDS = [share, unshare, members, accept, reject]
