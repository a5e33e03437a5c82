"""Python's cost: the demo flow (audit, repair, sync, sync again) through notion_xws, timed.

Run by `benches/python_cost.rs` (part of `cargo bench -p benches`), which times the same flow in
Rust and prints the ratio. Prints one line: `python_cost: RUNS runs, median SECONDS s`.
"""

import statistics
import sys
import time

import notion_xws
from notion_xws.testing import FakeNotion

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def flow() -> float:
    fake = FakeNotion()
    info = fake.demo_world()
    start = time.perf_counter()
    client = notion_xws.Client(info["control_token"], fake=fake)
    client.audit()
    client.repair(execute=True, today="2026-11-25")
    first = client.sync(execute=True)
    second = client.sync(execute=True)
    elapsed = time.perf_counter() - start
    assert first.created == 194 and second.writes == 0, (first, second)
    return elapsed


times = [flow() for _ in range(RUNS)]
print(f"python_cost: {RUNS} runs, median {statistics.median(times):.4f} s")
