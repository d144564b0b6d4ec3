"""Log lines into a pipe nobody reads any more are dropped, never raised."""

from __future__ import annotations

import contextlib
import io
import os

from services.chassis.logging import SafeStream


def test_writes_to_a_broken_pipe_are_dropped() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    raw = os.fdopen(write_end, "w")
    stream = SafeStream(raw)
    assert stream.write("a log line\n") == len("a log line\n")
    stream.flush()
    assert stream.broken
    assert stream.write("and another\n") == len("and another\n")
    assert not stream.isatty()
    with contextlib.suppress(BrokenPipeError):  # the unflushed line, on close
        raw.close()


def test_a_healthy_stream_gets_every_line() -> None:
    target = io.StringIO()
    stream = SafeStream(target)
    stream.write("one\n")
    stream.write("two\n")
    assert target.getvalue() == "one\ntwo\n"
    assert not stream.broken
