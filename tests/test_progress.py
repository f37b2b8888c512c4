"""Progress bars: drawn on a terminal, never written into a pipe, a file or the journal."""
from __future__ import annotations

import io

from fs_plugins.progress import steps, track


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_the_items_and_not_a_single_character_of_progress():
    pipe = io.StringIO()
    assert list(track(range(5), "copying", stream=pipe)) == [0, 1, 2, 3, 4]
    with steps(stream=pipe) as report:
        report(1, 2, "checked")
    assert pipe.getvalue() == ""


def test_a_terminal_sees_each_phase_of_the_work():
    screen = Terminal()
    assert list(track(range(3), "audio library", stream=screen)) == [0, 1, 2]
    with steps(stream=screen) as report:
        report(2, 4, "checked")
        report(4, 4, "stored")
    drawn = screen.getvalue()
    assert "audio library" in drawn and "checked" in drawn and "stored" in drawn
