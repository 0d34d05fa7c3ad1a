"""Client commands on artifacts and types: ls, show, set, unset, lifecycle, rm, schema, …"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.shell_completion import get_completion_class

from artifacts_client.cli import output
from artifacts_client.cli.fields import assignments, split_assignment
from artifacts_client.cli.session import Session
from artifacts_client.client import Client
from artifacts_client.errors import NotFound
from artifacts_client.models import Artifact, Identity
from artifacts_client.patch import Patch

pass_session = click.make_pass_decorator(Session)
reference_argument = click.argument("reference", metavar="REF")


def resolve(client: Client, reference: str) -> Artifact:
    return client.resolve(reference)


@click.command("ls")
@click.argument("type_name", metavar="TYPE", default="all")
@click.option("--name", help="Exact name; 'like:cir%' matches a pattern.")
@click.option(
    "--version", "version_range", metavar="RANGE", help="Version or range: ^1.2, >=1.0,<2."
)
@click.option("--latest", is_flag=True, help="Only the newest version of each name.")
@click.option("--tag", "tags", multiple=True, help="Carries this tag (repeatable: all of them).")
@click.option(
    "--filter",
    "-f",
    "filters",
    multiple=True,
    metavar="FIELD=[OP:]VALUE",
    help="Any filter the type allows, e.g. disk_format=qcow2, min_ram=gte:512 (repeatable).",
)
@click.option("--sort", help="FIELD:asc|desc[,…] (default: newest first).")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--pending", is_flag=True, help="Shares offered to your project, not yet answered.")
@output.format_option
@pass_session
def ls(
    session: Session,
    type_name: str,
    name: str | None,
    version_range: str | None,
    latest: bool,
    tags: tuple[str, ...],
    filters: tuple[str, ...],
    sort: str | None,
    limit: int,
    pending: bool,
    output_format: str,
) -> None:
    """List the artifacts of TYPE you can see (every type without TYPE)."""
    params = [split_assignment(item) for item in filters]
    if name is not None:
        params.append(("name", name))
    found = session.client.list(
        type_name,
        params,
        version=version_range,
        latest=latest,
        tags=tags,
        sort=sort,
        limit=limit,
        member_status="pending" if pending else None,
    )
    output.artifacts(found, output_format, with_type=type_name == "all")


@click.command()
@reference_argument
@output.format_option
@pass_session
def show(session: Session, reference: str, output_format: str) -> None:
    """Show every field of an artifact, and its blobs."""
    output.artifact(resolve(session.client, reference), output_format)


@click.command("set")
@reference_argument
@click.argument("assignments_", metavar="FIELD=VALUE...", nargs=-1, required=True)
@output.format_option
@pass_session
def set_fields(
    session: Session, reference: str, assignments_: tuple[str, ...], output_format: str
) -> None:
    """Change fields: min_ram=512 tags=a,b metadata.os=linux.

    Values are typed by the type's schema: numbers, booleans, lists (JSON or commas), dicts
    (JSON); metadata.key sets one key of a dict field.
    """
    client = session.client
    found = resolve(client, reference)
    patch = Patch()
    for field, value in assignments(client.schema(found.type_name), assignments_).items():
        patch.set(field, value)
    output.artifact(client.update(found, patch), output_format)


@click.command()
@reference_argument
@click.argument("fields", metavar="FIELD...", nargs=-1, required=True)
@output.format_option
@pass_session
def unset(session: Session, reference: str, fields: tuple[str, ...], output_format: str) -> None:
    """Clear fields (to null), or remove dict keys given as metadata.key."""
    client = session.client
    found = resolve(client, reference)
    patch = Patch()
    for field in fields:
        patch.unset(field)
    output.artifact(client.update(found, patch), output_format)


def _lifecycle(
    name: str, doc: str, action: Callable[[Client, Artifact], Artifact]
) -> click.Command:
    @click.command(name, help=doc)
    @reference_argument
    @output.format_option
    @pass_session
    def command(session: Session, reference: str, output_format: str) -> None:
        client = session.client
        output.artifact(action(client, resolve(client, reference)), output_format)

    return command


activate = _lifecycle(
    "activate", "Activate a drafted artifact (its fields freeze).", Client.activate
)
deactivate = _lifecycle(
    "deactivate", "Deactivate an active artifact (admins; downloads stop).", Client.deactivate
)
reactivate = _lifecycle("reactivate", "Reactivate a deactivated artifact.", Client.reactivate)
publish = _lifecycle("publish", "Make an active artifact public (admins).", Client.publish)


@click.command()
@click.argument("references", metavar="REF...", nargs=-1, required=True)
@click.option("--missing-ok", is_flag=True, help="Succeed when an artifact is not there.")
@pass_session
def rm(session: Session, references: tuple[str, ...], missing_ok: bool) -> None:
    """Delete artifacts and their blobs."""
    client = session.client
    for reference in references:
        try:
            found = resolve(client, reference)
        except NotFound:
            if missing_ok:
                continue
            raise
        client.delete(found)
        output.errors().print(f"deleted {found.type_name}/{found.name}@{found.version} {found.id}")


@click.command()
@click.argument("type_name", metavar="[TYPE]", required=False)
@output.format_option
@pass_session
def schema(session: Session, type_name: str | None, output_format: str) -> None:
    """The types the server serves, or the fields of TYPE.

    For each field: its kind, filter operators, whether it sorts, changes after activation or
    is needed for it.
    """
    client = session.client
    if type_name is None:
        schemas = {k: v for k, v in client.schemas().items() if k != "all"}
        if output_format == output.JSON:
            output.print_json(schemas)
            return
        output.table(
            ("type", "display name", "schema version"),
            (
                (k, v.get("display_name") or v.get("title"), v.get("version"))
                for k, v in sorted(schemas.items())
            ),
        )
        return
    found = client.schema(type_name)
    if output_format == output.JSON:
        output.print_json(found)
        return
    output.table(
        ("field", "kind", "filters", "sortable", "mutable", "required on activate", "description"),
        (_field_row(name, spec) for name, spec in found.get("properties", {}).items()),
        title=f"{type_name} (schema {found.get('version')})",
    )


def _field_row(name: str, spec: dict[str, Any]) -> list[Any]:
    return [
        name,
        spec.get("glareType"),
        " ".join(spec.get("filter_ops") or []),
        "yes" if spec.get("sortable") else "",
        "yes" if spec.get("mutable") else ("read-only" if spec.get("readOnly") else ""),
        "yes" if spec.get("required_on_activate") else "",
        spec.get("description"),
    ]


@click.command()
@output.format_option
@pass_session
def whoami(session: Session, output_format: str) -> None:
    """The server, profile and identity this client uses."""
    profile = session.profile
    try:
        identity: Identity | None = session.client.whoami()
    except NotFound:  # a server without /whoami (Glare itself): say what is configured
        identity = None
    values: dict[str, Any] = {
        "url": profile.url,
        "profile": profile.name,
        "profile_file": str(profile.source) if profile.source else None,
        "credentials": profile.auth_description,
    }
    if identity is None:
        values["server_identity"] = "not reported (the server has no /whoami)"
    else:
        values.update(
            project_id=identity.project_id,
            user_id=identity.user_id,
            roles=list(identity.roles),
            authenticated=identity.authenticated,
        )
    if output_format == output.JSON:
        output.print_json(values)
        return
    output.table(("setting", "value"), values.items(), header=False)


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script: eval "$(artifacts completion bash)"."""
    completer = get_completion_class(shell)
    assert completer is not None
    root = ctx.find_root().command
    click.echo(completer(root, {}, "artifacts", "_ARTIFACTS_COMPLETE").source())


COMMANDS = [
    ls,
    show,
    set_fields,
    unset,
    activate,
    deactivate,
    reactivate,
    publish,
    rm,
    schema,
    whoami,
    completion,
]
