"""``push`` and ``pull``: blobs up and down with a progress bar, verified by digest."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from artifacts_client.cli import output
from artifacts_client.cli.commands import pass_session, resolve
from artifacts_client.cli.fields import assignments, blob_fields
from artifacts_client.cli.session import Session
from artifacts_client.client import Client
from artifacts_client.errors import Conflict
from artifacts_client.models import Artifact
from artifacts_client.transfer import Progress as ProgressCallback


@contextmanager
def progress_bar(description: str, enabled: bool) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr, fed by the library's (done, total) callback."""
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=output.errors(),
        transient=False,
    )
    task = bar.add_task(description, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def _blob_field(client: Client, type_name: str, blob: str | None) -> str:
    """The blob field to use: the one asked for, or the type's only (or required) one."""
    fields = blob_fields(client.schema(type_name))
    if blob is not None:
        if blob.split("/", 1)[0] not in fields:
            raise click.BadParameter(
                f"{type_name} has no blob field {blob!r} (it has: {', '.join(fields) or 'none'})",
                param_hint="--blob",
            )
        return blob
    if not fields:
        raise click.UsageError(f"{type_name} artifacts have no blob fields")
    return fields[0]


def _existing_draft(client: Client, type_name: str, name: str, version: str) -> Artifact | None:
    """A drafted artifact of this name and version, left by an earlier push, to upload into."""
    for found in client.list(type_name, name=name, version=version, limit=1):
        if found.status == "drafted":
            return found
    return None


@click.command()
@click.argument("type_name", metavar="TYPE")
@click.argument("name")
@click.argument("version")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--blob",
    metavar="FIELD[/KEY]",
    help="Blob field to upload into (default: the type's main blob, e.g. images: image).",
)
@click.option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Set a field (repeatable)."
)
@click.option("--content-type", default="application/octet-stream", show_default=True)
@click.option("--activate", is_flag=True, help="Activate once the upload is verified.")
@click.option(
    "--direct",
    is_flag=True,
    help="Send the parts straight to the blob's object store (stores with direct uploads).",
)
@click.option(
    "--parallel", default=4, show_default=True, metavar="N", help="Parts sent at once (--direct)."
)
@click.option("--progress/--no-progress", default=None, help="Default: when stderr is a terminal.")
@output.format_option
@pass_session
def push(
    session: Session,
    type_name: str,
    name: str,
    version: str,
    file: str,
    blob: str | None,
    sets: tuple[str, ...],
    content_type: str,
    activate: bool,
    direct: bool,
    parallel: int,
    progress: bool | None,
    output_format: str,
) -> None:
    """Create an artifact and upload FILE into it, verified by sha256.

    With --activate it is activated once verified. Running it again after a failed upload
    reuses the drafted artifact the first run created. With --direct the parts go straight
    to the object store and the server verifies them when they are all there.
    """
    client = session.client
    field = _blob_field(client, type_name, blob)
    fields = assignments(client.schema(type_name), sets)
    try:
        artifact = client.create(type_name, name, version, **fields)
    except Conflict:
        draft = _existing_draft(client, type_name, name, version)
        if draft is None:
            raise
        artifact = client.set(draft, **fields) if fields else draft
    field_name, _, key = field.partition("/")
    show_bar = sys.stderr.isatty() if progress is None else progress
    if direct and file == "-":
        raise click.UsageError("--direct uploads a file, not standard input")
    with progress_bar(f"push {name}@{version}", show_bar) as callback:
        if direct:
            artifact = client.upload_direct(
                artifact, field_name, Path(file), key=key or None,
                content_type=content_type, parallel=parallel, progress=callback,
            )  # fmt: skip
        elif file == "-":
            artifact = client.upload(
                artifact, field_name, sys.stdin.buffer, key=key or None,
                content_type=content_type, progress=callback,
            )  # fmt: skip
        else:
            artifact = client.upload(
                artifact, field_name, Path(file), key=key or None,
                content_type=content_type, progress=callback,
            )  # fmt: skip
    blob_info = artifact.blob(field_name, key or None)
    assert blob_info is not None
    output.errors().print(f"uploaded {blob_info.size} bytes, sha256 {blob_info.sha256} (verified)")
    if activate:
        artifact = client.activate(artifact)
    output.artifact(artifact, output_format)


@click.command()
@click.argument("reference", metavar="REF")
@click.option("-o", "--output", "output_path", metavar="FILE", help="Where to write ('-': stdout).")
@click.option("--blob", metavar="FIELD[/KEY]", help="Blob field to fetch (default: the main one).")
@click.option("--resume/--no-resume", default=True, show_default=True, help="Continue FILE.part.")
@click.option("--progress/--no-progress", default=None, help="Default: when stderr is a terminal.")
@pass_session
def pull(
    session: Session,
    reference: str,
    output_path: str | None,
    blob: str | None,
    resume: bool,
    progress: bool | None,
) -> None:
    """Download an artifact's blob, kept only if its digests match.

    The data goes to FILE.part until verified; an interrupted pull continues from there.
    Without -o the file is NAME-VERSION in the current directory.
    """
    client = session.client
    artifact = resolve(client, reference)
    field = _blob_field(client, artifact.type_name, blob)
    field_name, _, key = field.partition("/")
    show_bar = sys.stderr.isatty() if progress is None else progress
    if output_path == "-":
        with progress_bar(f"pull {artifact.name}@{artifact.version}", show_bar) as callback:
            transfer = client.download(
                artifact, field_name, sys.stdout.buffer, key=key or None, progress=callback
            )
    else:
        target = Path(output_path or f"{artifact.name}-{artifact.version}")
        with progress_bar(f"pull {artifact.name}@{artifact.version}", show_bar) as callback:
            transfer = client.download_file(
                artifact, field_name, target, key=key or None, progress=callback, resume=resume
            )
        output.errors().print(f"wrote {target}")
    resumed = f", resumed after {transfer.resumed_from} bytes" if transfer.resumed_from else ""
    output.errors().print(f"{transfer.size} bytes, sha256 {transfer.sha256} (verified{resumed})")


COMMANDS = [push, pull]
