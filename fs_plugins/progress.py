"""Progress bars for long work (imports, exports, sweeps, backups), on a terminal only.

`track(items, what)` yields the items; when stderr is a terminal it draws rich's bar there
meanwhile, and otherwise it is the plain iteration: a pipe, a log file or the journal never gets
bar redraws. rich is imported only when a bar is drawn: importing it costs ~90 ms, which every
command run from a script would otherwise pay.
"""
from __future__ import annotations

import contextlib
import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def on_terminal(stream=None) -> bool:
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def track(items: Iterable[T], what: str, total: int | None = None, stream=None) -> Iterator[T]:
    if not on_terminal(stream):
        yield from items
        return
    from rich.console import Console
    from rich.progress import track as rich_track

    yield from rich_track(items, description=what, total=total, console=Console(file=stream or sys.stderr),
                          transient=True)


@contextlib.contextmanager
def steps(stream=None) -> Iterator:
    """A `report(done, total, phase)` callback for work that counts its own steps (contacts
    import: "checking", then "storing"): one bar per phase on a terminal, nothing elsewhere."""
    if not on_terminal(stream):
        yield lambda done, total, phase: None
        return
    from rich.console import Console
    from rich.progress import Progress

    tasks: dict[str, int] = {}
    with Progress(console=Console(file=stream or sys.stderr), transient=True) as bars:
        def report(done: int, total: int, phase: str) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=total)
            bars.update(tasks[phase], completed=done, total=total)

        yield report
