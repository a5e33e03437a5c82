"""The command's progress on a terminal, read from a pseudo-terminal as a person sees it: a bar
per phase of the audit and of the pairs, a line then a bar of writes per pair (two-way pairs
included), with the elapsed time, the rate, the ETA and the totals; and none of it when stderr
is not a terminal, or with ``--json``."""

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

import pytest

from notion_xws.testing import FakeNotion

FAST = ("--requests-per-minute", "60000")
#: What a terminal shows of the escape sequences the bars are drawn with: nothing.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def run_on_terminal(args, env, *, stderr_terminal=True, timeout=180):
    """Runs ``python -m notion_xws ARGS`` with its stderr (or, when ``stderr_terminal`` is
    false, its stdout) on a pseudo-terminal of 160 columns; what the terminal received (escape
    sequences removed), what went to the other stream, and the exit status."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("NOTION_TOKEN", "NOTION_BASE_URL")}
    full_env.update(env, TERM="xterm-256color")
    with tempfile.TemporaryFile() as other:
        process = subprocess.Popen(
            [sys.executable, "-m", "notion_xws", *args],
            stdin=subprocess.DEVNULL,
            stdout=other if stderr_terminal else slave,
            stderr=slave if stderr_terminal else other,
            env=full_env,
        )
        os.close(slave)
        screen = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the command closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif process.poll() is not None:
                break
        status = process.wait(timeout=30)
        os.close(master)
        other.seek(0)
        text = other.read().decode()
    return ANSI.sub("\n", screen.decode(errors="replace")), text, status


@pytest.fixture(scope="module")
def world():
    # Each request takes a few milliseconds, as Notion's do: the bars are drawn while it runs.
    with FakeNotion(latency_ms=4) as fake:
        info = fake.demo_world()
        env = {"NOTION_TOKEN": info["control_token"], "NOTION_BASE_URL": fake.serve()}
        done = subprocess.run(
            [sys.executable, "-m", "notion_xws", "repair", "--execute", *FAST],
            env={**os.environ, **env},
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        yield env


def test_a_sync_shows_every_phase_and_pair_on_the_terminal(world):
    screen, stdout, status = run_on_terminal(
        ["sync", "--execute", "--client", "VibeVessel", *FAST], world
    )
    assert status == 0, screen
    # The report is on stdout, as always; the progress on the terminal only.
    assert "| Tasks → VibeVessel Client Workspace | synced | 120 |" in stdout
    assert "ETA" not in stdout and "audit: tokens" not in stdout
    # Each of the audit's phases ends with a line of its total, its duration and its rate; the
    # longer ones were drawn as a bar on the way, with the elapsed time, the rate and the ETA.
    # (A phase done within a frame, 50 ms, may never be drawn: only its line is certain.)
    for phase, steps in (
        ("tokens", "checked"),
        ("parent pages", "checked"),
        ("databases", "resolved"),
    ):
        assert re.search(rf"audit: {phase}: (\d+)/\1 {steps} in \S+ \(\S+/s\)", screen), screen
    for phase, steps in (("tokens", "checked"), ("databases", "resolved")):
        bar = rf"audit: {phase} \[[=> ]+\] \d+/\d+ {steps}  \S+ · \S+/s · ETA \S+"
        assert re.search(bar, screen), f"no bar for {phase}:\n{screen}"
    # The pass's pairs, the same way.
    assert re.search(r"sync: pairs \(pass 1\) \[[=> ]+\] \d+/\d+ done  \S+ · \S+/s · ETA", screen)
    assert re.search(r"sync: pairs \(pass 1\): (\d+)/\1 done in", screen), screen
    # Each pair: what it does, then a bar of its writes with their rate and ETA, then its line.
    tasks = "Tasks → VibeVessel Client Workspace"
    assert re.search(rf"{tasks}: reading: source \d+ rows", screen), screen
    assert re.search(rf"{tasks}: \[[=> ]+\] \d+/120 writes  \S+ · \S+/s · ETA \S+", screen), screen
    assert re.search(
        rf"{tasks}: synced: 120 created, 0 updated, 0 trashed, 0 failed; \d+ rows read; "
        r"120 writes in \S+ \(\S+/s\); \S+ in all",
        screen,
    ), screen
    # The two-way pair too: its writes and its totals.
    assert re.search(
        r"\S+ ↔ VibeVessel Client Workspace: synced: 6 created, 0 updated, 0 trashed, 0 failed; "
        r"\d+ rows read; \d+ writes in \S+ \(\S+/s\); \S+ in all",
        screen,
    ), screen


def test_the_audit_and_a_plan_show_their_phases(world):
    screen, stdout, status = run_on_terminal(["audit", *FAST], world)
    assert status in (0, 1), screen
    assert "# " in stdout  # the report, on stdout
    assert re.search(r"audit: workspaces: (\d+)/\1 searched in", screen), screen
    screen, stdout, _ = run_on_terminal(["plan", "--client", "VibeVessel", *FAST], world)
    assert "dry run" in stdout
    assert re.search(r"Tasks → VibeVessel Client Workspace: planned: \d+ created", screen), screen
    assert "writes  " not in screen  # a plan writes nothing


@pytest.mark.parametrize(
    "args,stderr_terminal",
    [
        (["sync", "--execute", "--client", "VibeVessel", *FAST], False),
        (["sync", "--execute", "--client", "VibeVessel", "--json", *FAST], True),
        (["audit", "--json", *FAST], True),
    ],
    ids=["stderr-not-a-terminal", "sync-json", "audit-json"],
)
def test_nothing_of_it_off_a_terminal_or_with_json(world, args, stderr_terminal):
    screen, other, status = run_on_terminal(args, world, stderr_terminal=stderr_terminal)
    assert status in (0, 1, 3), screen + other
    for text in (screen, other):
        for drawn in ("ETA", "audit: tokens", "sync: pairs", "writes in", "reading:", "locating"):
            assert drawn not in text, f"{drawn!r} in:\n{text}"
