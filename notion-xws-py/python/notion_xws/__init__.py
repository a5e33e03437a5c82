"""notion_xws: audit, repair and sync Notion databases across workspaces.

A thin Python layer over the Rust core ``notion-xws-core``: this package only re-exports what the
native module ``notion_xws._native`` provides, and the exceptions of :mod:`notion_xws.errors`.
"""

from notion_xws import errors
from notion_xws._native import NotionLink, __version__, parse_notion_url
from notion_xws.errors import (
    AmbiguousWriteError,
    ApiError,
    CancelledError,
    ConfigError,
    ConflictError,
    DecodeError,
    ForbiddenError,
    InvalidIdError,
    InvalidInputError,
    InvalidLinkError,
    InvalidTokenError,
    NotFoundError,
    NotionXwsError,
    RateLimitedError,
    RegistryError,
    TransportError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)

__all__ = [
    "__version__",
    "errors",
    "NotionLink",
    "parse_notion_url",
    "AmbiguousWriteError",
    "ApiError",
    "CancelledError",
    "ConfigError",
    "ConflictError",
    "DecodeError",
    "ForbiddenError",
    "InvalidIdError",
    "InvalidInputError",
    "InvalidLinkError",
    "InvalidTokenError",
    "NotFoundError",
    "NotionXwsError",
    "RateLimitedError",
    "RegistryError",
    "TransportError",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
]
