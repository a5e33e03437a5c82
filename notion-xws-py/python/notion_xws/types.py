"""The types of notion_xws's options and results, for type checkers.

The options with a fixed set of values are ``Literal`` types (a word outside the set is a type
error, and at run time an :class:`~notion_xws.errors.InvalidOptionError`, a ``ValueError``). The
dicts the library returns or passes to callbacks are ``TypedDict``s: a sync's pairs
(:class:`PairDict`), the repair's actions and outcomes, the progress events (one ``TypedDict``
per phase, told apart by ``phase``: :data:`ProgressEvent`), a watch's cycles,
``init``'s report and ``me``. They are plain dicts at run time, converted from the Rust core's
JSON form: the keys and the words here are the core's.

Each set of words is written ``Union[Literal["a"], Literal["b"]]``, the same type as
``Literal["a", "b"]`` to a type checker, so that ``mypy.stubtest`` reads it as the union it is.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

__all__ = [
    "ConflictPolicy",
    "PeopleFallback",
    "Direction",
    "PairStateName",
    "PairClass",
    "Cause",
    "ColumnType",
    "RepairActionKind",
    "TokenStatus",
    "CycleClass",
    "StopReason",
    "WatchEnded",
    "SyncPairDict",
    "PairStateDict",
    "HandRowDict",
    "AttentionDict",
    "HolderDict",
    "PairDict",
    "ConflictDict",
    "ValueChangeDict",
    "PlannedActionDict",
    "SchemaStepDict",
    "RowPrintDict",
    "FingerprintDict",
    "PlannedPairDict",
    "TotalsDict",
    "NeedsPersonDict",
    "ProgressPhase",
    "ReadSide",
    "TokensEvent",
    "ParentPagesEvent",
    "DatabasesEvent",
    "TokenCopiesEvent",
    "PairsEvent",
    "LocatingEvent",
    "ReadingEvent",
    "PlanningEvent",
    "WritingEvent",
    "FinishedEvent",
    "ProgressEvent",
    "RepairActionDict",
    "RepairOutcomeDict",
    "RegistryTableDict",
    "InitReportDict",
    "IdentityDict",
    "CycleDict",
    "WatchEndDict",
]

ConflictPolicy = Union[
    Literal["report"],
    Literal["control-wins"],
    Literal["environment-wins"],
    Literal["newer-wins"],
]
"""How two-way pairs settle one property changed on both sides (``--conflicts``)."""

PeopleFallback = Union[
    Literal["leave"],
    Literal["names"],
]
"""What one-way pairs do with people they cannot match by email (``--people-fallback``)."""

Direction = Union[
    Literal["push"],
    Literal["pull"],
    Literal["two-way"],
]
"""Which way rows flow for a pair."""

PairStateName = Union[
    Literal["planned"],
    Literal["synced"],
    Literal["failed"],
    Literal["skipped"],
    Literal["guarded"],
    Literal["busy"],
]
"""What became of a pair (its ``state["state"]``)."""

PairClass = Union[
    Literal["synced"],
    Literal["planned"],
    Literal["skipped"],
    Literal["busy"],
    Literal["failed"],
    Literal["needs-person"],
]
"""A pair's outcome as a scheduler sees it."""

Cause = Union[
    Literal["delete-guard"],
    Literal["open-conflicts"],
    Literal["token"],
    Literal["parent-page"],
    Literal["database-unresolved"],
    Literal["protected"],
    Literal["source-unreadable"],
    Literal["target-unreadable"],
    Literal["source-in-trash"],
    Literal["copy-in-trash"],
    Literal["target-misplaced"],
]
"""Why a pair needs a person."""

ColumnType = Union[
    Literal["title"],
    Literal["rich_text"],
    Literal["url"],
    Literal["select"],
    Literal["sync_select"],
    Literal["environment_type_select"],
    Literal["date"],
    Literal["checkbox"],
    Literal["relation"],
]
"""The type of a registry column that ``init`` or the repair adds."""

RepairActionKind = Union[
    Literal["add_column"],
    Literal["set_data_source_id"],
    Literal["set_parent_page"],
    Literal["set_token_health"],
]
"""The kind of a repair's change (its ``action``)."""

TokenStatus = Union[
    Literal["valid"],
    Literal["invalid"],
    Literal["unreachable"],
    Literal["unreadable"],
    Literal["missing"],
]
"""A token's health, as the repair records it."""

CycleClass = Union[
    Literal["ok"],
    Literal["failed"],
    Literal["configuration"],
    Literal["needs-person"],
]
"""A watch cycle's exit status in a word."""

StopReason = Union[
    Literal["interrupt"],
    Literal["terminate"],
    Literal["requested"],
]
"""What stopped a watch."""

WatchEnded = Union[
    Literal["cycles"],
    Literal["configuration"],
    Literal["stopped"],
]
"""Why a watch ended."""


class SyncPairDict(TypedDict):
    """A (database, environment) pair."""

    database_row: str
    database: str
    environment_row: str
    environment: str
    direction: Direction


class _PairStateBase(TypedDict):
    state: PairStateName


class PairStateDict(_PairStateBase, total=False):
    """What became of a pair: ``state``, and for all but planned and synced, ``reason``."""

    reason: str


class HandRowDict(TypedDict):
    """A row a person added to a one-way copy."""

    id: str
    title: str
    url: str


class AttentionDict(TypedDict):
    """Why a pair needs a person, and what to do."""

    cause: Cause
    fix: str


class HolderDict(TypedDict):
    """The run that holds a pair's lease."""

    run: str
    host: str
    since: str
    until: str


class ConflictDict(TypedDict):
    """A two-way conflict: the rows, the property (``None`` for a trashed row), both values
    (canonical), how it was settled and since when."""

    control_row: str
    environment_row: str
    kind: Union[
        Literal["edit_edit"],
        Literal["control_edited_environment_trashed"],
        Literal["control_trashed_environment_edited"],
    ]
    property: Optional[str]
    control_value: Any
    environment_value: Any
    resolution: Union[
        Literal["reported"],
        Literal["control_won"],
        Literal["environment_won"],
        Literal["restored"],
    ]
    since: Optional[str]


class ValueChangeDict(TypedDict):
    """A property an update changes: its value before and after (canonical)."""

    property: str
    before: Any
    after: Any


_PlannedActionFrom = TypedDict("_PlannedActionFrom", {"from": Optional[str]})


class _PlannedActionBase(_PlannedActionFrom):
    action: Union[
        Literal["create"],
        Literal["update"],
        Literal["trash"],
        Literal["restore"],
        Literal["link"],
        Literal["base"],
    ]
    side: Union[Literal["target"], Literal["control"], Literal["environment"]]
    row: Optional[str]
    title: str


class PlannedActionDict(_PlannedActionBase, total=False):
    """A row write of a plan: ``action``, ``side``, ``row`` (``None``: the row a create
    makes), ``from`` (the row its values come from), ``title``; for an update ``changes``, for
    a trash ``reason``."""

    changes: List[ValueChangeDict]
    reason: str


class SchemaStepDict(TypedDict):
    """A schema change of a plan: the step, the database, the columns (request JSON)."""

    step: Union[
        Literal["create_database"],
        Literal["change_columns"],
        Literal["move_database"],
        Literal["update_database"],
    ]
    side: Union[Literal["target"], Literal["control"], Literal["environment"]]
    columns: Dict[str, Any]


class RowPrintDict(TypedDict):
    """A row as it was when planned."""

    side: str
    title: str
    last_edited_time: str
    content: str


class FingerprintDict(TypedDict):
    """What a pair's plan was made from."""

    schema: str
    rows: Dict[str, RowPrintDict]


class PlannedPairDict(TypedDict):
    """One pair's plan as data (an item of ``RunReport.actions``)."""

    pair: str
    database_row: str
    environment_row: str
    schema: List[SchemaStepDict]
    actions: List[PlannedActionDict]
    fingerprint: FingerprintDict


class TotalsDict(TypedDict):
    """A run's totals, all pairs together (``RunReport.totals``)."""

    pairs: int
    created: int
    updated: int
    trashed: int
    unchanged: int
    conflicts: int
    failed: int
    requests: int
    writes: int
    copies_created: int


class _PairDictBase(TypedDict):
    pair: SyncPairDict
    state: PairStateDict
    created: int
    updated: int
    trashed: int
    unchanged: int
    skipped: int
    added_by_hand: List[HandRowDict]
    failed: int
    settled: int
    files_reimported: int
    files_not_copied: int
    requests: int
    writes: int
    errors: List[str]
    notes: List[str]
    creates_target: bool
    waiting: int
    open_conflicts: int
    attention: Optional[AttentionDict]
    busy: Optional[HolderDict]
    incremental: bool
    conflicts: List[ConflictDict]
    created_url: Optional[str]


class PairDict(_PairDictBase, total=False):
    """One pair of a :class:`~notion_xws.RunReport` (an item of ``RunReport.pairs``); ``plan``
    only in a dry run."""

    plan: PlannedPairDict


class NeedsPersonDict(TypedDict):
    """A pair that needs a person (an item of ``RunReport.needs_person``)."""

    pair: str
    cause: Cause
    reason: Optional[str]
    fix: str


ProgressPhase = Union[
    Literal["tokens"],
    Literal["parent_pages"],
    Literal["databases"],
    Literal["token_copies"],
    Literal["pairs"],
    Literal["locating"],
    Literal["reading"],
    Literal["planning"],
    Literal["writing"],
    Literal["finished"],
]
"""The phase a progress event reports (its ``phase``)."""

ReadSide = Union[
    Literal["source"],
    Literal["target"],
    Literal["control"],
    Literal["environment"],
]
"""The side of a pair being read: a one-way pair's ``source`` and ``target`` (its copy), a
two-way pair's ``control`` and ``environment``."""


class TokensEvent(TypedDict):
    """The audit: environment tokens checked (``done``) of ``total``."""

    phase: Literal["tokens"]
    done: int
    total: int


class ParentPagesEvent(TypedDict):
    """The audit: environments' parent pages checked (``done``) of ``total``."""

    phase: Literal["parent_pages"]
    done: int
    total: int


class DatabasesEvent(TypedDict):
    """The audit: database rows resolved (``done``) of ``total``."""

    phase: Literal["databases"]
    done: int
    total: int


class TokenCopiesEvent(TypedDict):
    """The audit (``Client.audit`` only): workspaces searched for copies of token columns."""

    phase: Literal["token_copies"]
    done: int
    total: int


PairsEvent = TypedDict(
    "PairsEvent",
    {"phase": Literal["pairs"], "pass": int, "done": int, "total": int},
)
"""A sync: pairs of pass ``pass`` (1, or 2 for the relations that waited for the first)
finished (``done``) of ``total``."""


class LocatingEvent(TypedDict):
    """A pair's copy being located (its link row, or a marker)."""

    phase: Literal["locating"]
    pair: str
    direction: Direction


class ReadingEvent(TypedDict):
    """Rows read so far of one side of a pair (every page of rows, and when the side is
    read)."""

    phase: Literal["reading"]
    pair: str
    direction: Direction
    side: ReadSide
    rows: int


class PlanningEvent(TypedDict):
    """A pair being planned (both sides read)."""

    phase: Literal["planning"]
    pair: str
    direction: Direction


class WritingEvent(TypedDict):
    """A pair's writes done (applied, failed, or given up with their row) of ``planned``."""

    phase: Literal["writing"]
    pair: str
    direction: Direction
    done: int
    planned: int


FinishedEvent = TypedDict(
    "FinishedEvent",
    {
        "phase": Literal["finished"],
        "pair": str,
        "direction": Direction,
        "class": PairClass,
        "created": int,
        "updated": int,
        "trashed": int,
        "failed": int,
    },
)
"""A pair finished: its class and counts (planned counts, in a dry run)."""


ProgressEvent = Union[
    TokensEvent,
    ParentPagesEvent,
    DatabasesEvent,
    TokenCopiesEvent,
    PairsEvent,
    LocatingEvent,
    ReadingEvent,
    PlanningEvent,
    WritingEvent,
    FinishedEvent,
]
"""What a ``progress`` callback receives: one of the events above, told apart by ``phase``
(``if event["phase"] == "writing": event["done"]`` type-checks)."""


class RepairActionDict(TypedDict, total=False):
    """One change of a repair (an item of ``RepairPlan.actions``): ``action`` says which, and
    which other keys it has (``add_column``: ``table``, ``data_source``, ``column``,
    ``column_type``; ``set_data_source_id``: ``row``, ``database``, ``data_source``;
    ``set_parent_page``: ``row``, ``environment``, ``page``; ``set_token_health``: ``row``,
    ``environment``, ``status``, ``checked``)."""

    action: RepairActionKind
    table: str
    data_source: str
    column: str
    column_type: ColumnType
    row: str
    database: str
    environment: str
    page: str
    status: TokenStatus
    checked: str


class RepairOutcomeDict(TypedDict):
    """A change and its outcome (``error``: None when it was applied)."""

    action: RepairActionDict
    error: Optional[str]


class RegistryTableDict(TypedDict):
    """A registry table ``init`` created or found."""

    title: str
    data_source: str
    url: str


class InitReportDict(TypedDict):
    """What ``Client.init`` did."""

    created: List[RegistryTableDict]
    found: List[RegistryTableDict]
    columns: List[RepairOutcomeDict]
    writes: int
    failed: int


class IdentityDict(TypedDict):
    """Who a token is (``Client.me()``)."""

    id: str
    name: Optional[str]
    workspace_id: Optional[str]
    workspace_name: Optional[str]


CycleDict = TypedDict(
    "CycleDict",
    {
        "cycle": int,
        "start": str,
        "end": str,
        "duration_secs": float,
        "exit_status": int,
        "class": CycleClass,
        "created": int,
        "updated": int,
        "trashed": int,
        "failed": int,
        "requests": int,
        "writes": int,
        "needs_person": int,
        "error": Optional[str],
        "stopped": Optional[StopReason],
        "next_in_secs": Optional[float],
        "alert": str,
    },
    total=False,
)
"""One cycle of a watch (what ``on_cycle`` receives); ``alert`` only when one was due."""


class WatchEndDict(TypedDict):
    """How a watch ended (what ``Client.watch`` returns)."""

    cycles: int
    ended: WatchEnded
    stop: Optional[StopReason]
    forced: bool
    exit_status: int
    last: Optional[CycleDict]

