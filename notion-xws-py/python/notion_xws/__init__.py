"""notion_xws: audit, repair and sync Notion databases across workspaces.

A thin Python layer over the Rust core ``notion-xws-core``: this package only re-exports what the
native module ``notion_xws._native`` provides, and the exceptions of :mod:`notion_xws.errors`.

    import notion_xws

    client = notion_xws.Client(os.environ["NOTION_TOKEN"])
    report = client.audit()                  # read only
    print(report.summary.databases_without_data_source_id)
    plan = client.plan_repair()              # writes nothing
    done = client.repair(execute=True)       # applies the plan; done.applied, done.failed

``AsyncClient`` (:mod:`notion_xws.aio`) has the same methods as coroutines, which do not block
the event loop. The options with a fixed set of values and the dicts of the results are typed in
:mod:`notion_xws.types` (``Literal`` and ``TypedDict``). Logs go to :mod:`logging`, one logger
per module of the core under ``notion_xws`` (``notion_xws.transport``, ``notion_xws.sync``,
...), never with a token.
"""

from notion_xws import errors, types
from notion_xws._native import (
    AuditReport,
    AuditSummary,
    Client,
    Finding,
    NotionLink,
    RepairPlan,
    RepairReport,
    RunReport,
    __version__,
    parse_notion_url,
)
from notion_xws.aio import AsyncClient
from notion_xws.errors import (
    AmbiguousWriteError,
    ApiError,
    CancelledError,
    PlanStaleError,
    ConfigError,
    ConflictError,
    DecodeError,
    ForbiddenError,
    InvalidIdError,
    InvalidInputError,
    InvalidLinkError,
    InvalidOptionError,
    InvalidTokenError,
    NotFoundError,
    NotionXwsError,
    RateLimitedError,
    ProtectedError,
    RegistryError,
    TransportError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)

__all__ = [
    "__version__",
    "errors",
    "types",
    "Client",
    "AsyncClient",
    "AuditReport",
    "AuditSummary",
    "Finding",
    "RepairPlan",
    "RepairReport",
    "RunReport",
    "NotionLink",
    "parse_notion_url",
    "AmbiguousWriteError",
    "ApiError",
    "CancelledError",
    "PlanStaleError",
    "ConfigError",
    "ConflictError",
    "DecodeError",
    "ForbiddenError",
    "InvalidIdError",
    "InvalidInputError",
    "InvalidLinkError",
    "InvalidOptionError",
    "InvalidTokenError",
    "NotFoundError",
    "NotionXwsError",
    "RateLimitedError",
    "ProtectedError",
    "RegistryError",
    "TransportError",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
]
