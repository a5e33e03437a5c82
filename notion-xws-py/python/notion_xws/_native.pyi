"""Type stubs of the native module ``notion_xws._native``. Import ``notion_xws`` instead."""

from typing import List, Optional, final

__all__ = ["main", "NotionLink", "parse_notion_url", "__version__"]

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
