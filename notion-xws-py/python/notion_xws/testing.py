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

:meth:`FakeNotion.demo_world` lays out the registry of the gap report (18 environments, 100
database rows, their workspaces) in a fake, for :class:`notion_xws.Client` or the command::

    fake = FakeNotion()
    world = fake.demo_world()
    report = notion_xws.Client(world["control_token"], fake=fake).audit()
"""

from __future__ import annotations

from typing import List, Optional, TypedDict

from notion_xws._native import FakeNotion, FakeWorkspace

__all__ = [
    "DemoWorldInfo",
    "FakeNotion",
    "FakeWorkspace",
    "LoggedRequest",
    "PublicIntegration",
    "WebhookDelivery",
    "WebhookSubscription",
]


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


class PublicIntegration(TypedDict):
    """A public integration, an OAuth client (what :meth:`FakeNotion.add_public_integration`
    returns).

    Keys: ``name``; ``client_id`` and ``client_secret`` (HTTP Basic auth of ``/v1/oauth/*``,
    as ``notion_client``'s ``oauth.token(client_id=..., client_secret=...)`` sends them);
    ``redirect_uris``.
    """

    name: str
    client_id: str
    client_secret: str
    redirect_uris: List[str]


class WebhookSubscription(TypedDict):
    """A webhook subscription (what :meth:`FakeNotion.subscribe_webhook` returns).

    Keys: ``subscription_id`` (the ``subscription_id`` of every event) and
    ``verification_token`` (sent once in the verification request; the key of every event's
    ``X-Notion-Signature``).
    """

    subscription_id: str
    verification_token: str


class WebhookDelivery(TypedDict):
    """One delivery attempt (an item of :meth:`FakeNotion.deliver_webhooks`).

    Keys: ``subscription_id``; ``event_type`` (``"page.created"``, ..., or ``"verification"``
    for the verification request); ``event_id`` (None for the verification request);
    ``attempt_number`` (1 to 8); ``status`` (the endpoint's HTTP status, None when it could not
    be reached); ``delivered`` (a 2xx); ``will_retry`` (not delivered, attempts left).
    """

    subscription_id: str
    event_type: str
    event_id: Optional[str]
    attempt_number: int
    status: Optional[int]
    delivered: bool
    will_retry: bool


class DemoWorldInfo(TypedDict):
    """The demo world laid out in a fake (what :meth:`FakeNotion.demo_world` returns).

    Keys: ``control_token`` (the control integration's token: what a user exports as
    ``NOTION_TOKEN``), ``control_workspace`` (``"Seren Media"``), ``environments`` and
    ``databases`` (the names of the registry's rows, in order: 18 and 100, one of them empty),
    ``environments_database`` and ``databases_database`` (the IDs of ``system-environments`` and
    ``system-databases``, for ``environments=`` and ``databases=``).
    """

    control_token: str
    control_workspace: str
    environments: List[str]
    databases: List[str]
    environments_database: str
    databases_database: str
