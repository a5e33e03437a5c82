"""``Client.watch`` and ``notion-xws watch``: the sync in cycles on the demo world, stopped by
Ctrl-C between two writes."""

import _thread
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import notion_xws
from notion_xws import Client
from notion_xws.testing import FakeNotion

FAST = ("--requests-per-minute", "60000")


@pytest.fixture
def demo():
    with FakeNotion() as fake:
        info = fake.demo_world()
        client = Client(info["control_token"], fake=fake)
        client.repair(execute=True)
        yield fake, info, client


def test_two_cycles_the_second_writes_nothing(demo):
    fake, info, client = demo
    seen = []
    end = client.watch(every=0.1, cycles=2, on_cycle=seen.append)
    assert [c["cycle"] for c in seen] == [1, 2]
    first, second = seen
    assert first["created"] == 194 and first["writes"] > 0 and first["failed"] == 0
    assert second["writes"] == 0 and second["created"] == 0
    # The demo's revoked tokens leave 7 pairs to a person: status 3 each cycle, no back-off.
    assert [c["exit_status"] for c in seen] == [3, 3]
    assert [c["class"] for c in seen] == ["needs-person", "needs-person"]
    assert first["needs_person"] == 7
    assert first["next_in_secs"] == pytest.approx(0.1) and second["next_in_secs"] is None
    assert end["cycles"] == 2 and end["ended"] == "cycles" and end["exit_status"] == 3
    assert end["last"] == second
    assert info["control_token"] not in json.dumps(end)


@pytest.mark.parametrize("every", [0, -1, float("nan")])
def test_a_wait_of_nothing_is_a_config_error(demo, every):
    _, _, client = demo
    with pytest.raises(notion_xws.ConfigError):
        client.watch(every=every, cycles=1)


def test_ctrl_c_stops_between_writes_and_a_rerun_finishes(demo):
    fake, _, client = demo
    seen = []
    # Ctrl-C a second into the first cycle (its pairs then settle their leases' claims).
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.watch(every=3600, on_cycle=seen.append)
    timer.cancel()
    assert time.monotonic() - started < 60
    assert len(seen) == 1 and seen[0]["stopped"] == "interrupt", seen
    assert seen[0]["next_in_secs"] is None
    assert seen[0]["failed"] == 0
    # The leases were released and nothing is half-made: a sync now writes the rest, once.
    rerun = client.sync(execute=True)
    assert not rerun.has_failures, rerun.to_markdown()
    assert not [p for p in rerun.pairs if p["state"]["state"] == "busy"], rerun.to_markdown()
    assert seen[0]["created"] + rerun.created == 194
    again = client.sync(execute=True)
    assert again.writes == 0, again.to_markdown()


def test_the_command_stops_on_sigint_with_130(demo):
    fake, info, _ = demo
    env = {k: v for k, v in os.environ.items() if k not in ("NOTION_TOKEN", "NOTION_BASE_URL")}
    env.update(NOTION_TOKEN=info["control_token"], NOTION_BASE_URL=fake.serve())
    fake.clear_request_log()
    process = subprocess.Popen(
        [sys.executable, "-m", "notion_xws", "watch", "--every", "1h", "--log-format", "json",
         *FAST],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not fake.request_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "SIGINT: stopping after the writes in flight" in stderr
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    cycle = json.loads(lines[0])
    assert cycle["stopped"] == "interrupt" and cycle["failed"] == 0
    assert info["control_token"] not in stdout + stderr
