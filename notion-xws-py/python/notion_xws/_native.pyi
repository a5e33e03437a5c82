"""Type stubs of the native module ``notion_xws._native``. Import ``notion_xws`` instead."""

from types import TracebackType
from typing import Any, Callable, Dict, List, Literal, Optional, Type, final

from notion_xws.testing import (
    DemoWorldInfo,
    LoggedRequest,
    PublicIntegration,
    WebhookDelivery,
    WebhookSubscription,
)
from notion_xws.types import (
    ConflictPolicy,
    IdentityDict,
    InitReportDict,
    NeedsPersonDict,
    PairDict,
    PeopleFallback,
    PlannedPairDict,
    TotalsDict,
    ProgressEvent,
    RepairActionDict,
    RepairOutcomeDict,
    CycleDict,
    WatchEndDict,
)

__all__ = [
    "main",
    "AuditReport",
    "AuditSummary",
    "Client",
    "FakeNotion",
    "FakeWorkspace",
    "Finding",
    "NotionLink",
    "RepairPlan",
    "RepairReport",
    "RunReport",
    "parse_notion_url",
    "__version__",
]

__version__: str

@final
class NotionLink:
    """What a Notion link names: the object of its path, its view, the row in peek, the block."""

    @property
    def id(self) -> str:
        """The page or database of the path (for a peek link, the database), lowercase dashed."""
    @property
    def view_id(self) -> Optional[str]:
        """The view (``v=``), or None."""
    @property
    def peek_id(self) -> Optional[str]:
        """The row opened in peek (``p=``), or None."""
    @property
    def block_id(self) -> Optional[str]:
        """The block anchor (``#block-...``), or None."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def parse_notion_url(text: str) -> NotionLink:
    """Reads a Notion link (or a bare ID); raises ``InvalidLinkError`` for anything else."""

def main(argv: List[str]) -> int:
    """Runs the ``notion-xws`` command line (program name first); returns the exit status."""

@final
class AuditSummary:
    """The counts of the gap report."""

    @property
    def environments(self) -> int:
        """Rows of ``system-environments``."""
    @property
    def environments_with_token(self) -> int:
        """Environments whose ``Primary-Token`` is not empty."""
    @property
    def environments_without_token(self) -> int:
        """Environments whose ``Primary-Token`` is empty."""
    @property
    def environments_with_invalid_token(self) -> int:
        """Environments whose token Notion refused, or that cannot be read."""
    @property
    def environments_without_parent_page(self) -> int:
        """Environments for which no parent page is known."""
    @property
    def databases(self) -> int:
        """Rows of ``system-databases``."""
    @property
    def databases_with_data_source_id(self) -> int:
        """Database rows whose ``Data Source ID`` is not empty."""
    @property
    def databases_without_data_source_id(self) -> int:
        """Database rows whose ``Data Source ID`` is empty."""
    @property
    def databases_with_url(self) -> int:
        """Database rows whose ``Database URL`` is not empty."""
    @property
    def databases_resolvable(self) -> int:
        """Database rows resolved to one database and data source, all sources agreeing."""
    @property
    def databases_unreachable(self) -> int:
        """Database rows none of whose sources could be retrieved."""
    @property
    def findings(self) -> int:
        """Findings, all severities."""
    @property
    def blocking_findings(self) -> int:
        """Blocking findings (P0)."""
    def to_dict(self) -> Dict[str, int]:
        """The counts as a dict."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@final
class Finding:
    """One problem the audit found, and what to do about it."""

    @property
    def severity(self) -> Literal["P0", "P1", "P2"]:
        """``"P0"`` (blocking), ``"P1"`` (required for the sync of what it names) or ``"P2"``."""
    @property
    def code(self) -> str:
        """A stable code (``"token.invalid"``, ``"database.ids-disagree"``, ...), for scripts."""
    @property
    def subject(self) -> str:
        """What it is about: an environment's or a database's name, or a registry table."""
    @property
    def message(self) -> str:
        """What is wrong."""
    @property
    def fix(self) -> str:
        """What to do."""

@final
class AuditReport:
    """What the audit found: the counts, the findings, and each environment and database."""

    @property
    def notion_page(self) -> Optional[str]:
        """The link of the Notion page the report was written to (``audit(to_notion=True)``),
        else ``None``."""
    @property
    def summary(self) -> AuditSummary:
        """The counts."""
    @property
    def findings(self) -> List[Finding]:
        """Every finding, most urgent first."""
    @property
    def environments(self) -> List[Dict[str, Any]]:
        """Each environment (name, token health, parent page, ...; never a token)."""
    @property
    def databases(self) -> List[Dict[str, Any]]:
        """Each database row (name, direction, resolved IDs, ...)."""
    @property
    def control(self) -> Dict[str, Any]:
        """Who the control token is (bot, workspace_id, workspace_name)."""
    @property
    def has_blocking_findings(self) -> bool:
        """Whether a finding blocks (P0)."""
    def to_json(self) -> str:
        """The report as pretty JSON."""
    def to_markdown(self) -> str:
        """The report as Markdown, in the gap report's style."""

@final
class RepairPlan:
    """The changes a repair would make, in the order it makes them."""

    @property
    def actions(self) -> List[RepairActionDict]:
        """The changes, as dicts with an ``action`` key (``add_column``,
        ``set_data_source_id``, ``set_parent_page``, ``set_token_health``) and its fields."""
    def to_json(self) -> str:
        """The plan as pretty JSON."""
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...

@final
class RepairReport:
    """What a repair did. A dry run (``execute=False``) has the plan's actions and no outcomes."""

    @property
    def executed(self) -> bool:
        """Whether the changes were applied (False: a dry run, nothing written)."""
    @property
    def applied(self) -> int:
        """How many changes were applied (0 in a dry run)."""
    @property
    def failed(self) -> int:
        """How many changes failed (0 in a dry run)."""
    @property
    def actions(self) -> List[RepairActionDict]:
        """The planned changes (see :attr:`RepairPlan.actions`)."""
    @property
    def outcomes(self) -> List[RepairOutcomeDict]:
        """Each applied change and its outcome, ``{"action": {...}, "error": None | str}``."""
    def to_json(self) -> str:
        """The report as pretty JSON: ``executed``, ``applied``, ``failed``, ``actions``,
        ``outcomes``."""

@final
class Client:
    """A client of the Notion API for one (control) token, which it never shows.

    Requests go to ``base_url`` over HTTP, each token paced at ``requests_per_minute`` with
    bursts of ``burst``, with retries; or, when ``fake`` is given, to that fake in memory, with
    the same retries, paced only by the fake's own limits. Each request waits at most
    ``max_wait`` seconds in all for Notion: a longer ``Retry-After`` raises (or fails the pair
    with) ``RateLimitedError``, whose ``retry_after`` says when to try again. Every method
    releases the GIL.
    """

    def __new__(
        cls,
        token: str,
        *,
        base_url: str = "https://api.notion.com",
        api_version: str = "2026-03-11",
        requests_per_minute: int = 180,
        burst: int = 3,
        max_wait: float = 300.0,
        fake: Optional[FakeNotion] = None,
    ) -> Client: ...
    @property
    def api_version(self) -> str:
        """The API version spoken."""
    def audit(
        self,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        to_notion: bool = False,
        progress: Optional[Callable[[ProgressEvent], None]] = None,
    ) -> AuditReport:
        """Reads the registry (found by title unless an ID or link is given) and audits it, read
        only; with ``to_notion``, also writes the report as the page "notion-xws audit report"
        under the registry's page, replacing the previous one (its link in ``notion_page``).
        ``progress`` is called with each phase's progress (``tokens``, ``parent_pages``,
        ``databases``, ``token_copies``)."""
    def registry(
        self, environments: Optional[str] = None, databases: Optional[str] = None
    ) -> Dict[str, Any]:
        """Reads the registry (read only): ``environments``, ``databases``, ``clients`` (lists of
        dicts; a token shows only as how it is kept), the tables and the column names."""
    def init(
        self,
        parent: str,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
    ) -> InitReportDict:
        """Creates the registry (``system-environments`` and ``system-databases``, every column,
        the relation between them) under the page ``parent`` (a link or ID), or adds the columns
        an existing registry lacks; a second run writes nothing. A dict: ``created``, ``found``,
        ``columns``, ``writes``, ``failed``."""
    def plan_repair(
        self,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        today: Optional[str] = None,
    ) -> RepairPlan:
        """Audits the registry and plans its repair (``today``: ``YYYY-MM-DD``, default the
        UTC date). Writes nothing."""
    def repair(
        self,
        execute: bool = False,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        today: Optional[str] = None,
        despite_shape_findings: bool = False,
    ) -> RepairReport:
        """Audits the registry, plans its repair and, with ``execute=True``, applies it; while
        the audit has P0 findings about the registry's shape nothing is applied, unless
        ``despite_shape_findings=True``."""
    def plan(
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
        """Audits the registry and plans the sync of every pair (or of the environment or client
        ``only``). Writes nothing. ``progress`` is ``sync``'s."""
    def sync(
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
        """Audits, plans and, with ``execute=True``, applies the sync: every row exactly once.
        ``people_fallback`` is ``"leave"`` or ``"names"`` (unmatched people written as text).
        ``progress`` is called with each step's event (a :data:`~notion_xws.types.ProgressEvent`:
        the audit's ``tokens``, ``parent_pages``, ``databases``; ``pairs``; each pair's
        ``locating``, ``reading``, ``planning``, ``writing``, ``finished``), one-way and two-way
        pairs alike.
        ``wait`` (seconds) waits for a pair another run is writing instead of leaving it to
        that run (the pair's class is then ``"busy"``). ``recreate=True`` makes a new copy, with
        every row, of a pair whose copy is in Notion's trash (else the pair needs a person).
        ``prune=True`` trashes the rows a person added to a one-way copy (else kept, and named
        in each pair's ``added_by_hand``). ``prune_columns=True`` removes a copy's columns whose
        source column was deleted (else kept, and named in the notes). A pair that synced
        cleanly reads only what changed since its watermark; ``full=True`` compares every row
        instead, as each pair does at least every ``full_every`` seconds (default a day).
        ``notify`` (a webhook URL) is posted a JSON summary when the run needs a person or
        failed."""
    def watch(
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
        """Runs ``sync(execute=True)`` in cycles, ``every`` seconds (more than 0) apart, longer
        after a failing cycle, until ``cycles`` cycles (``None``: until interrupted) or a
        configuration error. ``on_cycle`` is called with each cycle's dict (``cycle``,
        ``start``, ``end``, ``duration_secs``, ``exit_status``, ``class``, ``created``,
        ``updated``, ``trashed``, ``failed``, ``requests``, ``writes``, ``needs_person``,
        ``error``, ``stopped``, ``next_in_secs``). Returns ``cycles``, ``ended``,
        ``exit_status`` and ``last``. Ctrl-C stops between two writes, then raises
        ``KeyboardInterrupt``."""
    def transfer(
        self,
        source: str,
        target_token: str,
        target_parent: str,
        *,
        execute: bool = False,
        progress: Optional[Callable[[ProgressEvent], None]] = None,
    ) -> RunReport:
        """Copies the database ``source`` (an ID or link) into the page ``target_parent`` of the
        workspace of ``target_token``; again, it brings the copy up to date. A dry run unless
        ``execute=True``."""
    def apply_plan(
        self,
        path: str,
        *,
        environments: Optional[str] = None,
        databases: Optional[str] = None,
        progress: Optional[Callable[[ProgressEvent], None]] = None,
    ) -> RunReport:
        """Applies exactly the plan saved in ``path`` (:meth:`RunReport.save_plan`), with the
        options it was made with; raises :class:`~notion_xws.errors.PlanStaleError`, writing
        nothing, when what it was made from changed since."""
    def me(self) -> IdentityDict:
        """Who the token is: ``id``, ``name``, ``workspace_id``, ``workspace_name``."""

@final
class RunReport:
    """What a sync did, or would do (``dry_run``): per pair and in total."""

    @property
    def dry_run(self) -> bool:
        """Whether nothing was written."""
    @property
    def pairs(self) -> List[PairDict]:
        """Each (database, environment) pair: its state, counts, requests, errors and notes."""
    @property
    def created(self) -> int:
        """Target rows created (planned, in a dry run)."""
    @property
    def updated(self) -> int:
        """Target rows updated (planned, in a dry run)."""
    @property
    def trashed(self) -> int:
        """Target rows trashed (planned, in a dry run)."""
    @property
    def unchanged(self) -> int:
        """Rows already the same on both sides."""
    @property
    def failed(self) -> int:
        """Writes that failed."""
    @property
    def requests(self) -> int:
        """Requests the pairs made."""
    @property
    def writes(self) -> int:
        """Requests the pairs made that write."""
    @property
    def has_failures(self) -> bool:
        """Whether a pair failed."""
    @property
    def exit_status(self) -> int:
        """The run's exit status: 0 all synced, 1 something failed, 3 a person is needed."""
    @property
    def needs_person(self) -> List[NeedsPersonDict]:
        """The pairs that need a person: ``pair``, ``cause``, ``reason`` and ``fix``."""
    @property
    def started_at(self) -> str:
        """When the run started (RFC 3339, UTC)."""
    @property
    def duration_ms(self) -> int:
        """How long the run took, in milliseconds."""
    @property
    def totals(self) -> TotalsDict:
        """The totals, all pairs together."""
    @property
    def actions(self) -> List[PlannedPairDict]:
        """In a plan (a dry run): each pair's plan as data, every row write and column step."""
    def save_plan(self, path: str) -> None:
        """Saves the plan (JSON, versioned, no token) for :meth:`Client.apply_plan`."""
    def to_json(self) -> str:
        """The report as JSON."""
    def to_markdown(self) -> str:
        """The report as Markdown."""
    def to_text(self, width: int = 80) -> str:
        """The report as plain text, no line wider than ``width``."""

@final
class FakeWorkspace:
    """A workspace of the fake, with its first integration and a root page shared with it."""

    @property
    def name(self) -> str:
        """The workspace's name."""
    @property
    def workspace_id(self) -> str:
        """The workspace's ID, lowercase and dashed."""
    @property
    def token(self) -> str:
        """The token of the workspace's integration (a fake one)."""
    @property
    def integration_name(self) -> str:
        """The name of the integration (the one Notion's 404s name)."""
    @property
    def integration_id(self) -> str:
        """The bot user of the integration, lowercase and dashed."""
    @property
    def root_page_id(self) -> str:
        """A page at the top of the workspace, shared with the integration, lowercase dashed."""
    @property
    def owner_id(self) -> str:
        """The workspace's owner (a person), lowercase and dashed."""

@final
class FakeNotion:
    """A fake Notion of many workspaces, in memory, served over HTTP on 127.0.0.1 on demand."""

    def __new__(
        cls,
        requests_per_minute: Optional[int] = None,
        burst: Optional[int] = None,
        workspace_requests_per_minute: Optional[int] = None,
        latency_ms: int = 0,
        seed: int = 0,
        *,
        rate_limited: float = 0.0,
        service_overload: float = 0.0,
        server_error: float = 0.0,
        conflict: float = 0.0,
        timeout_after_write: float = 0.0,
        timeout_before_write: float = 0.0,
        committed_unavailable: float = 0.0,
    ) -> FakeNotion: ...
    def add_workspace(self, name: str) -> FakeWorkspace:
        """Makes a workspace with an integration and a root page shared with it."""
    def add_user(self, workspace_id: str, name: str, email: str) -> str:
        """Adds a person to a workspace; returns the user's ID."""
    def add_integration(self, workspace_id: str, name: str) -> Dict[str, str]:
        """Adds another internal integration to a workspace (it sees nothing until something is
        shared with it); returns ``name``, ``token``, ``integration_id`` and ``workspace_id``."""
    def refresh_token(self, token: str) -> str:
        """Refreshes the secret of the token's integration: the same integration under the new
        token returned; the old one is answered 401 from now on."""
    def revoke_token(self, token: str) -> bool:
        """Revokes a token (answered 401 from now on); returns whether the fake knew it."""
    def share(self, token: str, object_id: str) -> None:
        """Shares an object (an ID or a Notion link) with the token's integration."""
    def unshare(self, token: str, object_id: str) -> None:
        """Stops sharing an object (an ID or a Notion link) with the token's integration."""
    def serve(self) -> str:
        """Serves the API on 127.0.0.1 in the background; returns the base URL (same if again)."""
    def stop(self) -> None:
        """Stops the HTTP server and waits until it has stopped (nothing if none runs)."""
    @property
    def base_url(self) -> Optional[str]:
        """The base URL while serving, else None."""
    def request_log(self) -> List[LoggedRequest]:
        """Every request received so far, in order."""
    def clear_request_log(self) -> None:
        """Empties the request log."""
    def requests_received(self) -> int:
        """How many requests the fake has received (clearing the log does not reset it)."""
    def fail_next(
        self,
        path_contains: str,
        fault: Literal[
            "rate_limited",
            "service_overload",
            "internal_server_error",
            "service_unavailable",
            "gateway_timeout",
            "conflict",
            "timeout_before_write",
            "timeout_after_write",
            "committed_unavailable",
        ],
        *,
        method: Optional[str] = None,
        retry_after: int = 0,
    ) -> None:
        """Scripts a fault: the next request with ``method`` (any, if None) whose path contains
        ``path_contains`` gets ``fault`` (``retry_after`` in seconds for the rate limits)."""
    def set_file_upload_limit(self, workspace_id: str, bytes: int) -> None:
        """Sets a workspace's per-file upload limit in bytes (default 5 MiB, a free plan's)."""
    def fail_file_imports(self, filename: str) -> None:
        """Makes every ``external_url`` import of a file named ``filename`` end ``failed``."""
    def add_template(self, data_source_id: str, title: str, *, is_default: bool = False) -> str:
        """Makes a template of a data source (the default one with ``is_default``); returns the
        template page's ID."""
    def add_custom_emoji(self, workspace_id: str, name: str, url: str) -> str:
        """Adds a custom emoji to a workspace; returns its ID."""
    def add_public_integration(self, name: str, redirect_uris: List[str]) -> PublicIntegration:
        """Registers a public integration (an OAuth client) with its redirect URIs."""
    def authorize(
        self,
        client_id: str,
        workspace_id: str,
        *,
        pages: List[str] = ...,
        redirect_uri: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> str:
        """Plays a person's consent: the workspace's owner (or ``user_id``) authorizes the
        public integration, sharing ``pages``; returns the authorization code."""
    def add_meeting_note(self, page_id: str, title: str) -> str:
        """Adds a meeting note (a ``meeting_notes`` block) under a page; returns its ID."""
    def now(self) -> float:
        """The fake's clock now, in seconds since the Unix epoch."""
    def set_query_lag(self, seconds: float) -> None:
        """Sets how long a new page stays out of data-source queries, from now on."""
    def set_search_lag(self, seconds: float) -> None:
        """Sets how long a new page or data source stays out of search, from now on."""
    def subscribe_webhook(
        self, token: str, url: str, *, api_version: str = "2025-09-03"
    ) -> WebhookSubscription:
        """Subscribes ``url`` (``http://`` on 127.0.0.1 or localhost) to the webhook events of the
        token's integration; the first delivery is the verification request."""
    def set_webhook_retry_delay(self, seconds: float) -> None:
        """Sets the delay before a failed delivery's second attempt (then doubling; 60 s)."""
    def pending_webhooks(self) -> int:
        """How many webhook deliveries wait (due now or later)."""
    def deliver_webhooks(self) -> List[WebhookDelivery]:
        """Sends the webhook deliveries due now; returns one dict per attempt."""
    def demo_world(self) -> DemoWorldInfo:
        """Lays out the demo world (the gap report's registry and its workspaces) in this fake;
        returns ``control_token``, ``control_workspace``, the registry rows' names and the
        registry databases' IDs. Best called on a fresh fake."""
    def __enter__(self) -> FakeNotion: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
        /,
    ) -> Literal[False]: ...
