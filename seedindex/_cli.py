"""The ``seedindex`` command: a thin shell over the library's public API.

Exit codes: 0 found, 1 nothing found, 2 usage or query syntax error, 3 seeds
folder problem, 4 index or shard server problem, 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

import seedindex
from seedindex import Config, Index, Passage, SeedIndexError, UpdateReport

from . import _show
from ._show import COLOR_MARKER, PLAIN_MARKER, Printer, Style

EXIT_FOUND, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2  # (argparse's usage errors are 2 too)
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130
# Passages shown by default, and looked through for -l and -c.
_SHOWN, _LISTED = 10, 1000
# With fewer results than this, a spelling suggestion is offered.
_FEW = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parse(_parser(), list(sys.argv[1:] if argv is None else argv))
    _show_warnings(args.quiet)
    try:
        code: int = args.run(args)
        return code
    except SeedIndexError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): not an error; silence the final flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FOUND
    except Exception as exc:  # the CLI never shows a traceback
        _error(f"internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """The arguments; a query that looks like an option (``seedindex query --force``) is
    taken as the query when it can be nothing else: no option of that name, no TEXT."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if getattr(args, "run", None) is _query and args.text is None and len(unknown) == 1:
            args.text = unknown[0]
        else:
            parser.parse_args(argv)  # says what is wrong, and exits 2
    if getattr(args, "run", None) is _query and args.text is None:
        parser.error("query: the following arguments are required: TEXT")
    return args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedindex",
        description="Search a folder of documents and print the passages that match.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {seedindex.__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    search = commands.add_parser("query", help="print the passages matching a query")
    search.add_argument(
        "text",
        metavar="TEXT",
        nargs="?",
        help='the query (words, "phrases", AND/OR/NOT); after -- if it starts with -',
    )
    search.add_argument(
        "-n", "--limit", type=_positive_int, help="at most N passages (10; 1000 with -l or -c)"
    )
    search.add_argument(
        "--json", action="store_true", help="JSON lines: a match a passage, then a summary"
    )
    search.add_argument(
        "-A",
        "--after-context",
        type=_count,
        default=0,
        metavar="N",
        help="N lines after each passage",
    )
    search.add_argument(
        "-B",
        "--before-context",
        type=_count,
        default=0,
        metavar="N",
        help="N lines before each passage",
    )
    search.add_argument(
        "-C", "--context", type=_count, metavar="N", help="N lines before and after each passage"
    )
    listing = search.add_mutually_exclusive_group()
    listing.add_argument(
        "-l", "--files-with-matches", action="store_true", help="print only the files that match"
    )
    listing.add_argument(
        "-c", "--count", action="store_true", help="print each matching file and its passages found"
    )
    search.add_argument("--strict", action="store_true", help="fail on malformed query syntax")
    search.add_argument(
        "--per-file", type=_positive_int, metavar="N", help="at most N passages of any one file"
    )
    search.add_argument(
        "--explain", action="store_true", help="show each query word's part in the score"
    )
    search.add_argument(
        "--no-update", action="store_true", help="search the index as it is, without updating"
    )
    search.add_argument(
        "--no-feedback",
        action="store_true",
        help="rank by the query's own words only, without words lent by the best passages",
    )
    search.set_defaults(run=_query)

    build = commands.add_parser("build", help="index the seeds folder from scratch")
    build.add_argument(
        "--force",
        action="store_true",
        help="rebuild an index directory whose marker is damaged (if it holds only index files)",
    )
    build.set_defaults(run=_build)

    update = commands.add_parser("update", help="re-index only what changed in the seeds")
    update.set_defaults(run=_update)

    similar = commands.add_parser("similar", help="print the passages most like one passage")
    similar.add_argument("place", metavar="PATH:LINE", type=_place, help="e.g. notes.md:12")
    similar.add_argument("-n", "--limit", type=_positive_int, default=10, help="at most N passages")
    similar.add_argument(
        "--json", action="store_true", help="JSON lines: a match a passage, then a summary"
    )
    similar.set_defaults(run=_similar)
    for shows_passages in (search, similar):
        shows_passages.add_argument(
            "--color",
            choices=("auto", "always", "never"),
            default="auto",
            help="colour places and matches (auto: on a terminal, unless NO_COLOR is set)",
        )

    status = commands.add_parser("status", help="show what the index holds and if it is stale")
    status.set_defaults(run=_status)

    watch = commands.add_parser(
        "watch", help="keep the index up to date as the folder changes, until Ctrl-C"
    )
    watch.set_defaults(run=_watch)

    serve = commands.add_parser(
        "mcp", help="serve the index to an MCP client over stdio (needs seedindex[mcp])"
    )
    serve.set_defaults(run=_mcp)

    shard = commands.add_parser("shard", help="serve a shard of a sharded index (xapian-tcpsrv)")
    shard_commands = shard.add_subparsers(title="shard commands", required=True, metavar="COMMAND")
    shard_serve = shard_commands.add_parser(
        "serve", help="serve the shard database in DIR until Ctrl-C (needs xapian-tools)"
    )
    shard_serve.add_argument("folder", metavar="DIR", help="the shard's database folder")
    shard_serve.add_argument("--port", type=_port, required=True, help="the port to listen on")
    shard_serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (127.0.0.1; 0.0.0.0: all)"
    )
    shard_serve.add_argument(
        "--writable", action="store_true", help="let the index's writer change it (made if missing)"
    )
    shard_serve.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    shard_serve.set_defaults(run=_shard_serve)

    for command in (search, build, update, similar, status, watch, serve):
        command.add_argument("--seeds", metavar="DIR", help="folder of documents to search")
        command.add_argument("--index-dir", metavar="DIR", help="where the index is kept")
        command.add_argument(
            "-q", "--quiet", action="store_true", help="print no progress and no warnings"
        )
        command.add_argument(
            "--trust-index-dir",
            action="store_true",
            help="use an index directory owned by another user or writable by others",
        )
        command.add_argument(
            "--semantic",
            action="store_true",
            help="rank by words and meaning (an index of its own; needs seedindex[semantic])",
        )
        command.add_argument(
            "--shards",
            metavar="HOST:PORT,...",
            help="keep and search the passages on these shard servers ($SEEDINDEX_SHARDS)",
        )
    return parser


def _whole_number(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}: {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1)


def _count(text: str) -> int:
    return _whole_number(text, 0)


def _port(text: str) -> int:
    port = _whole_number(text, 1)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {port}")
    return port


def _place(text: str) -> tuple[str, int]:
    path, _colon, line = text.rpartition(":")
    if not path or not line.isdigit():
        raise argparse.ArgumentTypeError(f"expected PATH:LINE, not {text!r}")
    return path, int(line)


def _query(args: argparse.Namespace) -> int:
    began = time.monotonic()
    listing = args.files_with_matches or args.count
    limit = args.limit or (_LISTED if listing else _SHOWN)
    style = _style(args)
    config = _config(args, style, feedback=not args.no_feedback)
    with _open(args, config=config, auto_update=not args.no_update) as ix:
        passages = ix.search(args.text, limit=limit, strict=args.strict, per_file=args.per_file)
        printer = Printer(style, ix.seeds, ix.text)
        if listing:
            _print_files(printer, passages, counted=args.count)
        for passage in [] if listing else passages:
            print(printer.json(passage) if args.json else printer.text(passage))
            if args.explain:
                explanation = ix.explain(args.text, passage)
                print(
                    _show.explanation_json(explanation, passage)
                    if args.json
                    else _show.explanation_text(explanation)
                )
        suggestion = ix.suggest(args.text) if len(passages) < _FEW else None
        if args.json and not listing:
            print(_show.summary_json(passages, time.monotonic() - began, suggestion))
        if not args.quiet:
            if suggestion:
                print(f"Did you mean: {suggestion}", file=sys.stderr)
            if not passages:
                _say_why_nothing(ix.stats())
    return EXIT_FOUND if passages else EXIT_NOTHING


def _style(args: argparse.Namespace) -> Style:
    color = args.color == "always" or (
        args.color == "auto" and not args.json and _is_terminal(sys.stdout)
    )
    both: int | None = getattr(args, "context", None)
    before: int = getattr(args, "before_context", 0) if both is None else both
    after: int = getattr(args, "after_context", 0) if both is None else both
    return Style(color, before, after, Path.cwd())


def _print_files(printer: Printer, passages: list[Passage], *, counted: bool) -> None:
    """Each file with a passage found, best first (with how many, when ``counted``)."""
    files: dict[str, int] = {}
    for passage in passages:
        files[passage.path] = files.get(passage.path, 0) + 1
    for path, count in files.items():
        shown = _show.printable(printer.shown_path(path))
        print(f"{shown}:{count}" if counted else shown)


def _say_why_nothing(stats: seedindex.Stats) -> None:
    """A folder without documents of the types read finds nothing: say so."""
    if stats.files:
        return
    found = f"; it holds {_other_types(stats)}" if stats.not_indexed else ""
    print(
        f"seedindex: no documents are indexed in {stats.seeds}{found}. Types read: "
        f"{' '.join(Config().extensions)} (Config(extensions=...) adds others)",
        file=sys.stderr,
    )


def _similar(args: argparse.Namespace) -> int:
    began = time.monotonic()
    style = _style(args)
    config = _config(args, style)
    with _open(args, config=config) as ix:
        path, line = args.place
        passages = ix.similar(ix.passage_at(path, line), limit=args.limit)
        printer = Printer(style, ix.seeds, ix.text)
        for passage in passages:
            print(printer.json(passage) if args.json else printer.text(passage))
        if args.json:
            print(_show.summary_json(passages, time.monotonic() - began, None))
    return EXIT_FOUND if passages else EXIT_NOTHING


def _build(args: argparse.Namespace) -> int:
    with _open(args, force=args.force) as ix:
        opened = ix.last_write  # a new index is built as it is opened: not twice
        _print_report(opened if opened is not None and opened.full else ix.build())
    return EXIT_FOUND


def _update(args: argparse.Namespace) -> int:
    with _open(args) as ix:
        _print_report(ix.update())
    return EXIT_FOUND


def _status(args: argparse.Namespace) -> int:
    stats = seedindex.stats(args.seeds, index_dir=args.index_dir, config=_config(args))
    updated = stats.updated.strftime("%Y-%m-%d %H:%M:%S UTC") if stats.updated else "never"
    print(f"seeds:     {stats.seeds}")
    print(f"index:     {stats.index_dir} ({stats.size_bytes / 1e6:.1f} MB)")
    print(f"files:     {stats.files} indexed, {len(stats.skipped)} skipped")
    print(f"passages:  {stats.passages}")
    print(f"updated:   {updated}")
    if stats.updated is None:
        state = "not built (run: seedindex build)"
    else:
        state = "stale (run: seedindex update)" if stats.stale else "up to date"
    print(f"state:     {state}")
    if stats.not_indexed:
        print(f"not read:  {_other_types(stats)} (not document types seedindex reads)")
    for path, reason in stats.skipped:
        print(f"skipped:   {path}: {reason}")
    return EXIT_FOUND


def _other_types(stats: seedindex.Stats, most: int = 8) -> str:
    shown = ", ".join(f"{count} {ending}" for ending, count in stats.not_indexed[:most])
    return shown + (", ..." if len(stats.not_indexed) > most else "")


def _watch(args: argparse.Namespace) -> int:
    with _open(args, auto_update=True) as ix:
        if not args.quiet:
            print(f"watching {ix.seeds} (Ctrl-C stops)", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):  # how a watch ends: not an error
            ix.watch(on_update=_print_report)
    return EXIT_FOUND


def _mcp(args: argparse.Namespace) -> int:
    try:
        from .serving import mcp
    except ImportError as exc:
        _error(str(exc))
        return EXIT_USAGE
    mcp.serve(args.seeds, args.index_dir, _config(args))
    return EXIT_FOUND


def _shard_serve(args: argparse.Namespace) -> int:
    from .serving.shard import ShardServer

    server = ShardServer(args.folder, args.port, host=args.host, writable=args.writable)
    signal.signal(signal.SIGTERM, _interrupted)
    server.start()
    try:
        if not args.quiet:
            kind = "writable " if args.writable else ""
            print(f"serving {kind}shard {args.folder} on {server.address} (Ctrl-C stops)")
        code = server.wait()
        _error(f"the shard server ended with exit code {code}")
        return EXIT_INTERNAL
    except KeyboardInterrupt:  # how serving ends: not an error
        return EXIT_FOUND
    finally:
        server.stop()


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _open(
    args: argparse.Namespace,
    config: Config | None = None,
    auto_update: bool = False,
    force: bool = False,
) -> Index:
    return Index.open(
        args.seeds,
        index_dir=args.index_dir,
        config=config or _config(args),
        auto_update=auto_update,
        progress=_progress_bar(args.quiet),
        force=force,
    )


def _config(
    args: argparse.Namespace, style: Style | None = None, *, feedback: bool = True
) -> Config:
    """The settings of a command (that shows passages in ``style``, if given): matches
    marked in colour on a terminal, as ``[[ ]]`` in JSON, not at all in plain text."""
    config = Config(
        feedback=feedback,
        trust_index_dir=args.trust_index_dir,
        semantic=args.semantic,
        shards=args.shards or (),
    )
    if style is None or getattr(args, "json", False):
        return config
    return attrs.evolve(config, highlight=COLOR_MARKER if style.color else PLAIN_MARKER)


def _print_report(report: UpdateReport) -> None:
    kind = "built" if report.full else "updated"
    print(
        f"{kind}: {report.added} added, {report.changed} changed, {report.removed} removed, "
        f"{report.touched} touched, {report.skipped} skipped; "
        f"{report.passages} passages in {report.seconds:.2f} s"
    )


def _is_terminal(stream: TextIO) -> bool:
    return stream.isatty() and os.environ.get("TERM") != "dumb" and "NO_COLOR" not in os.environ


class _ProgressBar:
    """A bar on stderr for indexing that lasts more than a second."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._bar: Any = None

    def __call__(self, done: int, total: int, passages: int) -> None:
        if self._bar is None:
            self._bar = self._tqdm(
                total=total, unit="file", desc="indexing", delay=1.0, leave=False, file=sys.stderr
            )
        self._bar.set_postfix(passages=passages, refresh=False)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()


def _progress_bar(quiet: bool) -> _ProgressBar | None:
    return None if quiet or not _is_terminal(sys.stderr) else _ProgressBar()


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"seedindex: {record.levelname.lower()}: {record.getMessage()}"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """The CLI's one handler: it writes to whatever ``sys.stderr`` is at the time."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(_OneLine())

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _show_warnings(quiet: bool) -> None:
    logger = logging.getLogger("seedindex")
    for handler in [h for h in logger.handlers if isinstance(h, _Stderr)]:
        logger.removeHandler(handler)  # one handler however often main() runs
    logger.addHandler(_Stderr())
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)


def _error(message: str) -> None:
    print(f"seedindex: error: {message}", file=sys.stderr)
