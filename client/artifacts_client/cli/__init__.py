"""The ``artifacts`` command: a client of any artifact-repo server, and its administration.

Client commands talk HTTP to the server named by the profile (``--url``, ``$ARTIFACTS_URL``).
Server administration commands (``serve``, ``db``, ``token``, …) run on the server's own
machine; they come from the server package, found through the ``artifacts.cli`` entry point,
so this package never imports it and works alone where only the client is installed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from artifacts_client.cli import commands, sharing, transfers
from artifacts_client.cli.group import SectionedGroup
from artifacts_client.cli.session import Session
from artifacts_client.config import ProfileError, load_profile
from artifacts_client.errors import ApiError, BadReference, ClientError

CLIENT = "Client commands (over HTTP, to --url)"


@click.group(cls=SectionedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--profile", envvar="ARTIFACTS_PROFILE", help="Profile in the client config file.")
@click.option("--url", help="Server URL [env ARTIFACTS_URL; default http://127.0.0.1:9494].")
@click.option("--token", help="API token [env ARTIFACTS_TOKEN].")
@click.option("--project", help="Project, for servers that trust identity headers.")
@click.option("--user", help="User, with --project.")
@click.option("--roles", help="Comma-separated roles, with --project.")
@click.option(
    "--config",
    "server_config",
    metavar="FILE",
    help="Server administration: the server's TOML configuration [env ARTIFACTS_CONFIG].",
)
@click.version_option(package_name="artifact-repo-client", prog_name="artifacts")
@click.pass_context
def cli(
    ctx: click.Context,
    profile: str | None,
    url: str | None,
    token: str | None,
    project: str | None,
    user: str | None,
    roles: str | None,
    server_config: str | None,
) -> None:
    """Store, find and fetch typed artifacts (images, templates, packages, …).

    Name an artifact as TYPE/NAME@RANGE (images/cirros@^0.6: the newest 0.6.x), TYPE/NAME (the
    newest version), TYPE/ID or ID. Settings come from the options, then ARTIFACTS_* variables,
    then the profile file (~/.config/artifacts/client.toml).
    """
    overrides = {"url": url, "token": token, "project": project, "user": user, "roles": roles}
    ctx.obj = Session(
        lambda: load_profile(profile, overrides=overrides), server_config=server_config
    )
    ctx.call_on_close(ctx.obj.close)


for command in commands.COMMANDS + transfers.COMMANDS + sharing.COMMANDS:
    cli.add_command(command, section=CLIENT)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; errors become one line on stderr and a non-zero exit status."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="artifacts",
            standalone_mode=False,
        )
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("artifacts: interrupted", err=True)
        return 130
    except (BadReference, ProfileError) as exc:
        click.echo(f"artifacts: {exc}", err=True)
        return 2
    except ApiError as exc:
        click.echo(f"artifacts: {exc}", err=True)
        return 1
    except ClientError as exc:
        click.echo(f"artifacts: {exc}", err=True)
        return 1
    # standalone_mode=False hands back the exit status of ctx.exit() (server commands, --help).
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
