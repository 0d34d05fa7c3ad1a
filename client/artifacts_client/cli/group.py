"""The root command group: client commands and server administration, listed apart.

Server administration commands belong to the server package, which declares itself under the
``artifacts.cli`` entry point group: a module with ``command_summaries() -> {name: help}`` and
``main(argv) -> int``. It is imported only when a server command, ``--help`` or shell
completion asks for it, so client commands start without loading the server.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import click

ENTRY_POINT_GROUP = "artifacts.cli"
SERVER_SECTION = "Server administration (run on the server's machine)"


class SectionedGroup(click.Group):
    """A group whose ``--help`` lists its commands under section headings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections: dict[str, str] = {}
        self._server_loaded = False

    def add_command(
        self, cmd: click.Command, name: str | None = None, section: str = "Commands"
    ) -> None:
        super().add_command(cmd, name)
        self.sections[name or cmd.name or ""] = section

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and not self._server_loaded:
            self._load_server_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_server_commands()
        return super().list_commands(ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        grouped: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            section = self.sections.get(name, "Commands")
            grouped.setdefault(section, []).append((name, command.get_short_help_str(80)))
        order = list(dict.fromkeys(self.sections.values()))
        for section in sorted(grouped, key=order.index):
            with formatter.section(section):
                formatter.write_dl(grouped[section])

    def _load_server_commands(self) -> None:
        if self._server_loaded:
            return
        self._server_loaded = True
        for module in _server_modules():
            for name, summary in module.command_summaries().items():
                if name not in self.commands:
                    self.add_command(_passthrough(module, name, summary), section=SERVER_SECTION)


def _server_modules() -> list[ModuleType]:
    modules = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            modules.append(point.load())
        except ImportError as exc:  # a broken server install must not break the client
            click.echo(f"artifacts: server commands unavailable ({point.value}): {exc}", err=True)
    return modules


def _passthrough(module: ModuleType, name: str, summary: str) -> click.Command:
    """A click command handing its arguments, unparsed, to the server's own parser."""

    @click.pass_context
    def run(ctx: click.Context, args: tuple[str, ...]) -> None:
        config = ctx.find_root().params.get("server_config")
        argv = [*(["--config", config] if config else []), name, *args]
        ctx.exit(int(module.main(argv)))

    return click.Command(
        name,
        callback=run,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        help=f"{summary}. Options: 'artifacts {name} --help'.",
        short_help=summary,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
