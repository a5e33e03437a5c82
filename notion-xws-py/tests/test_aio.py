"""notion_xws.AsyncClient: the client's methods as coroutines that leave the event loop free."""

import asyncio
import inspect
import time

import pytest

import notion_xws
from notion_xws import AsyncClient, Client, RunReport
from notion_xws.testing import FakeNotion


def test_every_method_of_the_client_is_a_coroutine_with_the_same_parameters():
    methods = [
        name
        for name in dir(Client)
        if not name.startswith("_") and callable(getattr(Client, name))
    ]
    assert {"audit", "init", "plan", "sync", "watch", "transfer", "me"} <= set(methods)
    for name in methods:
        method = getattr(AsyncClient, name)
        assert inspect.iscoroutinefunction(method), name
        native = inspect.signature(getattr(Client, name))
        ours = inspect.signature(method)
        assert list(ours.parameters) == list(native.parameters), name


def test_a_plan_leaves_the_event_loop_running_and_two_calls_run_at_once():
    fake = FakeNotion()
    info = fake.demo_world()
    client = AsyncClient(info["control_token"], fake=fake)
    assert "ntn_" not in repr(client) and repr(client).startswith("AsyncClient(")

    async def main():
        ticks = 0
        done = asyncio.Event()

        async def tick():
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        report, me = await asyncio.gather(client.plan(), client.me())
        took = time.monotonic() - started
        done.set()
        await ticker
        return report, me, ticks, took

    report, me, ticks, took = asyncio.run(main())
    assert isinstance(report, RunReport) and report.dry_run
    assert me["workspace_name"] == "Seren Media"
    # The loop ticked all along: at least half of the 10 ms ticks the plan's time allows.
    assert took > 0.05 and ticks >= took / 0.01 / 2, (ticks, took)


def test_errors_are_the_clients():
    fake = FakeNotion()
    info = fake.demo_world()
    client = AsyncClient(info["control_token"], fake=fake)
    with pytest.raises(notion_xws.InvalidOptionError):
        asyncio.run(client.plan(conflict_policy="whoever"))  # type: ignore[arg-type]
