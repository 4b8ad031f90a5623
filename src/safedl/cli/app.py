"""The ``safedl`` command. Thin: parse, call the library, print with rich.

Every :class:`~safedl.errors.SafeDLError` becomes one message on stderr and exit code 2.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from safedl.cli import console
from safedl.cli.attack_cmd import attack_command
from safedl.cli.defend_cmd import defend_command
from safedl.cli.deploy_cmd import deploy_app
from safedl.cli.monitor_cmd import monitor_app
from safedl.cli.plugins_cmd import attacks_app, defenses_app
from safedl.cli.profile_cmd import profile_app
from safedl.cli.report_cmd import compare_command, report_command
from safedl.cli.run_cmd import run_command
from safedl.cli.serve_cmd import serve_command
from safedl.cli.threat_cmd import threat_app
from safedl.errors import SafeDLError

INTERRUPTED = "interrupted; run the same command again to resume where it stopped"

app = typer.Typer(
    name="safedl",
    help="Safe-DL: threat-model, attack, score, defend and report on a PyTorch image classifier.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(profile_app, name="profile")
app.add_typer(attacks_app, name="attacks")
app.add_typer(defenses_app, name="defenses")
app.add_typer(threat_app, name="threat-model")
app.add_typer(deploy_app, name="deploy")
app.add_typer(monitor_app, name="monitor")
app.command("run")(run_command)
app.command("attack")(attack_command)
app.command("defend")(defend_command)
app.command("report")(report_command)
app.command("compare")(compare_command)
app.command("serve")(serve_command)


@app.callback()
def _global(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only warnings and results."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    console.configure(quiet=quiet, verbose=verbose)


@app.command("version")
def version() -> None:
    """Print the version."""
    import safedl

    console.out.print(f"safedl {safedl.__version__}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``safedl`` script."""
    try:
        app(args=argv, prog_name="safedl")  # exits itself; usage errors exit 2
    except SafeDLError as exc:
        console.error(escape(str(exc)))
        sys.exit(2)
    except KeyboardInterrupt:
        console.error(INTERRUPTED)
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl-C into exit code 130
            console.error(INTERRUPTED)
        raise


if __name__ == "__main__":
    main()
