"""Test helpers of notion_xws: a fake Notion to point Notion clients at.

:class:`FakeNotion` is the Rust core's fake Notion (``notion_xws_core::fake``): workspaces with
integrations and tokens, pages, databases with their data sources, rows, sharing, property
validation, pagination, rate limits and faults, with Notion's answers. :meth:`FakeNotion.serve`
serves it over HTTP on 127.0.0.1, so any client, such as the official ``notion-client``, can use
it as it would use ``https://api.notion.com``::

    from notion_client import Client
    from notion_xws.testing import FakeNotion

    with FakeNotion() as fake:
        acme = fake.add_workspace("Acme")
        notion = Client(auth=acme.token, base_url=fake.serve())
        notion.pages.create(
            parent={"page_id": acme.root_page_id},
            properties={"title": [{"text": {"content": "Hello"}}]},
        )
        assert fake.request_log()[0]["status"] == 200
"""

from __future__ import annotations

from typing import Optional, TypedDict

from notion_xws._native import FakeNotion, FakeWorkspace

__all__ = ["FakeNotion", "FakeWorkspace", "LoggedRequest"]


class LoggedRequest(TypedDict):
    """One request the fake received (an item of :meth:`FakeNotion.request_log`).

    Keys: ``method`` (``"GET"``, ...), ``path`` (without the query), ``status`` (0 when the
    request got no answer: a timeout fault), ``workspace`` and ``integration`` (names, None when
    the token was unknown), ``fault`` (the fault injected, or None).
    """

    method: str
    path: str
    status: int
    workspace: Optional[str]
    integration: Optional[str]
    fault: Optional[str]
