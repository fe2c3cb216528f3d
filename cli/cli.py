"""The ``boundlab`` command line: one sub-command per job.

Each job lives in its sub-package as a module exposing ``configure(parser)`` (declare the
arguments) and ``run(args) -> int`` (do the job, return the exit status). Bad input raises
:class:`boundlab.errors.BoundlabError`; it is printed as one line and the exit status is 2.
Without a sub-command, ``boundlab`` runs the main job on its built-in default problem.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from boundlab import __version__
from boundlab.errors import BoundlabError

# name -> (module, one-line help). The order is the order of ``boundlab --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "summary": ("boundlab.theory.summary", "the main job: the theory evaluated on the default problem"),
    "theory": ("boundlab.theory.cli_theory", "evaluate one encoded result (bound, definition, omega)"),
    "table": ("boundlab.theory.cli_table", "regenerate the paper's rate-summary (or features) table"),
    "audit": ("boundlab.theory.cli_audit", "check every bound for dimensions and step-size hypotheses"),
    "simulate": ("boundlab.simulate.cli_simulate", "run R independent runs of an algorithm; write a tidy table"),
    "verify": ("boundlab.verify.cli_verify", "check every bound against simulation, with honest statistics"),
    "worst": ("boundlab.verify.cli_worst", "search the tightest instance of a bound on exact expectations"),
    "figures": ("boundlab.figures.cli_figures", "plot limit variance, convergence, tightness, step sizes, step edge"),
    "sweep": ("boundlab.simulate.cli_sweep", "run a grid of simulations in parallel, cached and resumable"),
    "operators": ("boundlab.simulate.cli_operators", "place every compression operator on the bits/variance plane"),
}
DEFAULT_COMMAND = "summary"


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line, like every other bad input ('boundlab CMD: error: ...', exit 2), not a
    usage block (``--help`` still shows the usage)."""

    def error(self, message: str):
        # argparse names options by their destination in some messages ("invalid _gamma value"): say the flag
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = "*") -> argparse.ArgumentParser:
    """The parser; ``only``: the one sub-command whose module is imported and configured ("*": all, None: none;
    the others are listed with their one-line help, so that ``boundlab --help`` imports nothing heavy)."""
    parser = OneLineParser(
        prog="boundlab",
        description="Convergence theory of compressed distributed optimisation (MCM, NeurIPS 2021), "
        "encoded symbolically and checked against simulation. Without a sub-command: "
        f"'boundlab {DEFAULT_COMMAND}'.",
    )
    parser.add_argument("--version", action="version", version=f"boundlab {__version__}")
    parser.add_argument("--plugin", metavar="MODULE_OR_FILE", action="append",
                        help="load a plug-in (operators, algorithms, problems, results, checks) before the "
                             "sub-command; repeatable; also the BOUNDLAB_PLUGINS variable and the 'boundlab.plugins' "
                             "entry points of installed packages (see boundlab.plugins)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name, (module_name, help_text) in COMMANDS.items():
        if only != "*" and name != only:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip())
        p.formatter_class = argparse.RawDescriptionHelpFormatter
        module.configure(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from boundlab import plugins
    try:
        specs, argv = plugins.split_argv(argv)
        if specs or any(a in COMMANDS for a in argv[:1]) or not argv or argv[0].startswith("-") and \
                argv[0] not in ("-h", "--help", "--version"):
            plugins.load_all(specs)    # before the parser: a plug-in's keys become flags
    except BoundlabError as err:
        print(f"boundlab: error: {err}", file=sys.stderr)
        return 2
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = [DEFAULT_COMMAND, *argv]
    parser = build_parser(argv[0] if argv[0] in COMMANDS else None)  # import only the command that runs
    args, extra = parser.parse_known_args(argv)
    # argparse gives a '*' positional its (empty) value at the first positional it meets, so key=value items
    # written after an option ('boundlab theory thm5 --latex L=1') are left over: a module that declares
    # TRAILING_POSITIONALS takes them, in order; anything else left over is an error as usual.
    trailing = getattr(getattr(args, "_module", None), "TRAILING_POSITIONALS", None)
    if extra and trailing and not any(e.startswith("-") for e in extra):
        setattr(args, trailing, [*getattr(args, trailing), *extra])
    elif extra:
        parser.parse_args(argv)   # the usual one-line error naming the unrecognised arguments
    where = f"boundlab {args.command}"
    try:
        return int(args._module.run(args) or 0)
    except BoundlabError as err:
        print(f"{where}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `boundlab table | head`
        return 0
    except KeyboardInterrupt:  # a job that keeps its finished work catches the interrupt itself and says so
        print(f"{where}: interrupted", file=sys.stderr)
        return 130
    except MemoryError as err:
        print(f"{where}: error: not enough memory for this job ({err or 'allocation failed'}); use fewer runs, "
              "workers or a smaller dimension", file=sys.stderr)
        return 2
    except OSError as err:  # files and folders: one line naming the path
        path = err.filename or ""
        print(f"{where}: error: {path + ': ' if path else ''}{err.strerror or err}", file=sys.stderr)
        return 2
