"""Type stubs of the native module ``notion_xws._native``. Import ``notion_xws`` instead."""

from types import TracebackType
from typing import List, Literal, Optional, Type, final

from notion_xws.testing import LoggedRequest

__all__ = ["main", "FakeNotion", "FakeWorkspace", "NotionLink", "parse_notion_url", "__version__"]

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
    def __enter__(self) -> FakeNotion: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
        /,
    ) -> Literal[False]: ...
