"""``AsyncClient``: :class:`notion_xws.Client`'s methods as coroutines, for asyncio programs.

Each method runs the same method of a :class:`~notion_xws.Client` in a worker thread
(:func:`asyncio.to_thread`); the client releases the GIL for the whole call, so the event loop
keeps running while Notion is read and written, and several calls may run at once (each token
keeps its request budget: calls on one client share it). Arguments, results and exceptions are
the client's.

Cancelling a coroutine stops waiting for it, not the call: the call already running finishes in
its thread (a sync finishes its writes; nothing is left half-written). Ctrl-C is seen by the
main thread only, so ``watch`` here should be given ``cycles``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, Optional

from notion_xws._native import AuditReport, Client, RepairPlan, RepairReport, RunReport
from notion_xws.testing import FakeNotion
from notion_xws.types import (
    ConflictPolicy,
    CycleDict,
    IdentityDict,
    InitReportDict,
    PeopleFallback,
    ProgressEvent,
    WatchEndDict,
)

__all__ = ["AsyncClient"]


class AsyncClient:
    """A client of the Notion API for one (control) token, whose methods are coroutines. It
    takes :class:`~notion_xws.Client`'s arguments; ``client`` is the client it runs."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = "https://api.notion.com",
        api_version: str = "2026-03-11",
        requests_per_minute: int = 180,
        burst: int = 3,
        fake: Optional[FakeNotion] = None,
    ) -> None:
        self.client = Client(
            token,
            base_url=base_url,
            api_version=api_version,
            requests_per_minute=requests_per_minute,
            burst=burst,
            fake=fake,
        )

    def __repr__(self) -> str:
        return f"Async{self.client!r}"

    @property
    def api_version(self) -> str:
        """The API version spoken."""
        return self.client.api_version

    async def audit(
        self,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        to_notion: bool = False,
        progress: Optional[Callable[[ProgressEvent], None]] = None,
    ) -> AuditReport:
        """:meth:`Client.audit <notion_xws.Client.audit>`, awaited (``progress`` is called from
        the worker thread)."""
        return await asyncio.to_thread(
            self.client.audit, environments, databases, to_notion, progress
        )

    async def registry(
        self, environments: Optional[str] = None, databases: Optional[str] = None
    ) -> Dict[str, Any]:
        """:meth:`Client.registry <notion_xws.Client.registry>`, awaited."""
        return await asyncio.to_thread(self.client.registry, environments, databases)

    async def init(
        self,
        parent: str,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
    ) -> InitReportDict:
        """:meth:`Client.init <notion_xws.Client.init>`, awaited."""
        return await asyncio.to_thread(self.client.init, parent, environments, databases)

    async def plan_repair(
        self,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        today: Optional[str] = None,
    ) -> RepairPlan:
        """:meth:`Client.plan_repair <notion_xws.Client.plan_repair>`, awaited."""
        return await asyncio.to_thread(self.client.plan_repair, environments, databases, today)

    async def repair(
        self,
        execute: bool = False,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        today: Optional[str] = None,
        despite_shape_findings: bool = False,
    ) -> RepairReport:
        """:meth:`Client.repair <notion_xws.Client.repair>`, awaited."""
        return await asyncio.to_thread(
            self.client.repair,
            execute,
            environments,
            databases,
            today,
            despite_shape_findings,
        )

    async def plan(
        self,
        only: Optional[str] = None,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        allow_mass_delete: bool = False,
        conflict_policy: ConflictPolicy = "report",
        people_fallback: PeopleFallback = "leave",
        recreate: bool = False,
        prune: bool = False,
        prune_columns: bool = False,
        full: bool = False,
        full_every: float = 86400.0,
        progress: Optional[Callable[[ProgressEvent], None]] = None,
    ) -> RunReport:
        """:meth:`Client.plan <notion_xws.Client.plan>`, awaited (``progress`` is called from
        the worker thread)."""
        return await asyncio.to_thread(
            self.client.plan,
            only=only,
            environments=environments,
            databases=databases,
            allow_mass_delete=allow_mass_delete,
            conflict_policy=conflict_policy,
            people_fallback=people_fallback,
            recreate=recreate,
            prune=prune,
            prune_columns=prune_columns,
            full=full,
            full_every=full_every,
            progress=progress,
        )

    async def sync(
        self,
        execute: bool = False,
        only: Optional[str] = None,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        allow_mass_delete: bool = False,
        conflict_policy: ConflictPolicy = "report",
        people_fallback: PeopleFallback = "leave",
        progress: Optional[Callable[[ProgressEvent], None]] = None,
        wait: Optional[float] = None,
        recreate: bool = False,
        prune: bool = False,
        prune_columns: bool = False,
        full: bool = False,
        full_every: float = 86400.0,
        notify: Optional[str] = None,
    ) -> RunReport:
        """:meth:`Client.sync <notion_xws.Client.sync>`, awaited (``progress`` is called from
        the worker thread)."""
        return await asyncio.to_thread(
            self.client.sync,
            execute=execute,
            only=only,
            environments=environments,
            databases=databases,
            allow_mass_delete=allow_mass_delete,
            conflict_policy=conflict_policy,
            people_fallback=people_fallback,
            progress=progress,
            wait=wait,
            recreate=recreate,
            prune=prune,
            prune_columns=prune_columns,
            full=full,
            full_every=full_every,
            notify=notify,
        )

    async def apply_plan(
        self,
        path: str,
        *,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        progress: Optional[Callable[[ProgressEvent], None]] = None,
    ) -> RunReport:
        """:meth:`Client.apply_plan <notion_xws.Client.apply_plan>`, awaited."""
        return await asyncio.to_thread(
            self.client.apply_plan,
            path,
            environments=environments,
            databases=databases,
            progress=progress,
        )

    async def watch(
        self,
        every: float,
        *,
        cycles: Optional[int] = None,
        only: Optional[str] = None,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        allow_mass_delete: bool = False,
        conflict_policy: ConflictPolicy = "report",
        people_fallback: PeopleFallback = "leave",
        wait: Optional[float] = None,
        recreate: bool = False,
        prune: bool = False,
        prune_columns: bool = False,
        full: bool = False,
        full_every: float = 86400.0,
        notify: Optional[str] = None,
        on_cycle: Optional[Callable[[CycleDict], None]] = None,
    ) -> WatchEndDict:
        """:meth:`Client.watch <notion_xws.Client.watch>`, awaited: give ``cycles`` (Ctrl-C
        does not reach a worker thread)."""
        return await asyncio.to_thread(
            self.client.watch,
            every,
            cycles=cycles,
            only=only,
            environments=environments,
            databases=databases,
            allow_mass_delete=allow_mass_delete,
            conflict_policy=conflict_policy,
            people_fallback=people_fallback,
            wait=wait,
            recreate=recreate,
            prune=prune,
            prune_columns=prune_columns,
            full=full,
            full_every=full_every,
            notify=notify,
            on_cycle=on_cycle,
        )

    async def transfer(
        self,
        source: str,
        target_token: str,
        target_parent: str,
        *,
        execute: bool = False,
        progress: Optional[Callable[[ProgressEvent], None]] = None,
    ) -> RunReport:
        """:meth:`Client.transfer <notion_xws.Client.transfer>`, awaited."""
        return await asyncio.to_thread(
            self.client.transfer,
            source,
            target_token,
            target_parent,
            execute=execute,
            progress=progress,
        )

    async def me(self) -> IdentityDict:
        """:meth:`Client.me <notion_xws.Client.me>`, awaited."""
        return await asyncio.to_thread(self.client.me)
