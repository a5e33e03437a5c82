"""The exceptions of notion_xws: one hierarchy under :class:`NotionXwsError`.

Every error the library raises is a :class:`NotionXwsError`. Errors that come from Notion's API
carry Notion's error ``code`` (such as ``"object_not_found"``), the HTTP ``status`` and the
``request_id`` to quote to Notion's support; the others have ``None`` there. Bad input (a
malformed ID or link, an unusable token, an option's value outside its list) is also a
:class:`ValueError`.

The native module picks the class for each error of the Rust core in one place
(``notion-xws-py/src/errors.rs``); the classes live here so that they can be documented and
inherit from Python's built-in exceptions.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "NotionXwsError",
    "InvalidInputError",
    "InvalidIdError",
    "InvalidLinkError",
    "ConfigError",
    "InvalidOptionError",
    "InvalidTokenError",
    "RegistryError",
    "ProtectedError",
    "ApiError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "ValidationError",
    "ConflictError",
    "RateLimitedError",
    "UnavailableError",
    "AmbiguousWriteError",
    "TransportError",
    "DecodeError",
    "CancelledError",
    "PlanStaleError",
]


class NotionXwsError(Exception):
    """Base class of every error raised by notion_xws.

    Attributes:
        code: Notion's error code (``"object_not_found"``, ...), or None.
        status: the HTTP status of Notion's answer, or None.
        request_id: Notion's ID of the request, or None.
    """

    code: Optional[str]
    status: Optional[int]
    request_id: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        for name, value in details.items():
            setattr(self, name, value)


class InvalidInputError(NotionXwsError, ValueError):
    """Input that cannot be used as it is; the message says what is wrong."""


class InvalidIdError(InvalidInputError):
    """A Notion ID that is not 32 hex digits (dashed or not)."""


class InvalidLinkError(InvalidInputError):
    """A Notion link that does not parse: not a Notion host, no ID, a malformed ID."""


class ConfigError(NotionXwsError):
    """A configuration that makes no sense (a bad base URL, a missing option, ...)."""


class InvalidOptionError(ConfigError, ValueError):
    """A keyword argument whose value the library cannot take: a word outside its list (such as
    ``conflict_policy="newest-wins"``), a negative number of seconds, a budget of 0 requests, a
    webhook URL it cannot post to. The message names the argument and what it takes."""


class RegistryError(ConfigError):
    """The registry cannot be used as it is: a registry database missing, or found twice."""


class ProtectedError(ConfigError):
    """A registry table, or a table holding tokens, named as a sync source or target: never synced."""


class InvalidTokenError(ConfigError, ValueError):
    """A token that cannot be read: a missing environment variable, empty, malformed."""


class ApiError(NotionXwsError):
    """Notion answered with an error; ``code``, ``status`` and ``request_id`` say which."""


class UnauthorizedError(ApiError):
    """Notion refused the token (401): it is wrong or was revoked."""


class ForbiddenError(ApiError):
    """The integration may not do this (403): a capability, or the workspace block limit."""


class NotFoundError(ApiError):
    """Not found, or not shared with the integration (404): Notion cannot tell which."""


class ValidationError(ApiError, ValueError):
    """Notion rejected the request as invalid (400)."""


class ConflictError(ApiError):
    """A concurrent change got in the way (409): re-read and decide."""


class RateLimitedError(ApiError):
    """Rate-limited, and the retries allowed did not get through, or Notion asked to wait longer
    than the client's ``max_wait``: the message says when to try again.

    Attributes:
        retry_after: seconds Notion asked to wait, or None.
    """

    retry_after: Optional[float]


class UnavailableError(ApiError):
    """Notion failed (5xx or 529), and retrying did not help or was not allowed."""


class AmbiguousWriteError(NotionXwsError):
    """A write whose outcome is unknown (a timeout or a 5xx). It is never resent blindly.

    Attributes:
        committed_resource_id: the object Notion says it saved, when it said so, or None.
    """

    committed_resource_id: Optional[str]


class TransportError(NotionXwsError):
    """The request got no Notion answer (no connection, a timeout, an HTML page).

    Attributes:
        kind: ``"connect"``, ``"timeout"``, ``"invalid_response"`` or ``"request"`` (a plain
            string: ``e.kind == "connect"``).
    """

    kind: Optional[str]


class DecodeError(NotionXwsError):
    """A Notion answer that does not have the expected shape."""


class CancelledError(NotionXwsError):
    """The run was cancelled (Ctrl-C) before it finished."""


class PlanStaleError(NotionXwsError):
    """A saved plan no longer holds: what it was made from changed since (a row edited on
    either side, a schema, the registry's pairs); nothing was written. Make a new plan, review
    it and apply that one. The command exits 3 for it."""
