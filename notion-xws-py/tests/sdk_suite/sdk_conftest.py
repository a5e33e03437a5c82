"""The fixtures of the official Python SDK's own test suite (notion-client's ``tests/``), over a
fake Notion instead of a recorded workspace.

``run.sh`` copies this file as the ``conftest.py`` beside the SDK's tests. The suite's tests are
the SDK's, unchanged; only their fixtures are ours, written from what the tests ask of them (a
page, a block, a database and its data source, a view, a comment, file uploads, pages to page
through). Every HTTP request the SDK sends to ``https://api.notion.com`` goes to the fake served
on 127.0.0.1 instead, and a request to any other host is refused before it leaves the machine
(the two tests that call another host fail for that). The fake's workspace is on a paid plan
(5 GB a file): the suite sends and completes a 30 MiB multi-part upload and expects Notion to take
it, which Notion does only for paid workspaces ("Uploading larger files"). The fake's default is a
free plan's 5 MiB, as the SDK's ``test_users_me`` cassette shows, and that workspace is refused
such an upload, as Notion refuses it (the fake's own tests hold both).
"""

import io
import types
from datetime import datetime

import httpx
import pytest
from notion_client import AsyncClient, Client

from notion_xws.testing import FakeNotion

NOTION_HOST = "api.notion.com"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _redirect(request, base):
    """``request`` sent to the fake when it is for Notion; refused when for any other host."""
    if request.url.host == NOTION_HOST:
        request.url = request.url.copy_with(
            scheme=base.scheme, host=base.host, port=base.port
        )
        request.headers["Host"] = f"{base.host}:{base.port}"
    elif request.url.host not in LOOPBACK:
        raise httpx.ConnectError(
            f"the suite runs against the fake Notion only, not {request.url.host}",
            request=request,
        )
    return request


@pytest.fixture(scope="session")
def fake():
    with FakeNotion() as fake:
        yield fake


@pytest.fixture(scope="session")
def workspace(fake):
    made = fake.add_workspace("notion-sdk-py")
    fake.set_file_upload_limit(made.workspace_id, 5_000_000_000)  # a paid plan's: see above
    return made


@pytest.fixture(scope="session", autouse=True)
def notion_is_the_fake(fake):
    """Points every client of the suite at the fake, as if api.notion.com were it."""
    base = httpx.URL(fake.serve())
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self, request):
        return sync_send(self, _redirect(request, base))

    async def handle_async_request(self, request):
        return await async_send(self, _redirect(request, base))

    patch = pytest.MonkeyPatch()
    patch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def token(workspace):
    return workspace.token


@pytest.fixture
def client(token):
    with Client(auth=token) as client:
        yield client


@pytest.fixture
async def async_client(token):
    client = AsyncClient(auth=token)
    yield client
    await client.aclose()


@pytest.fixture
def vcr_cassette():
    """No cassette: the suite runs live, against the fake."""
    return types.SimpleNamespace(responses=[])


def _title(text):
    return {"title": [{"text": {"content": text}}]}


@pytest.fixture
def parent_page_id(workspace):
    return workspace.root_page_id


@pytest.fixture
def page_id(client, parent_page_id):
    page = client.pages.create(
        parent={"page_id": parent_page_id},
        properties=_title(f"Test {datetime.now()}"),
        children=[],
    )
    yield page["id"]
    client.blocks.delete(block_id=page["id"])


def _paragraph(client, page_id, rich_text):
    block = client.blocks.children.append(
        block_id=page_id, children=[{"paragraph": {"rich_text": rich_text}}]
    )["results"][0]
    return block["id"]


@pytest.fixture
def block_id(client, page_id):
    block = _paragraph(client, page_id, [{"text": {"content": "I'm a paragraph."}}])
    yield block
    client.blocks.delete(block_id=block)


@pytest.fixture
def text_block_id(client, page_id):
    return _paragraph(client, page_id, [{"type": "text", "text": {"content": "Text"}}])


@pytest.fixture
def equation_block_id(client, page_id):
    return _paragraph(
        client, page_id, [{"type": "equation", "equation": {"expression": "E = mc^2"}}]
    )


@pytest.fixture
def mention_block_id(client, page_id):
    me = client.users.me()
    return _paragraph(
        client, page_id, [{"type": "mention", "mention": {"user": {"id": me["id"]}}}]
    )


def _database(page_id):
    return {
        "parent": {"type": "page_id", "page_id": page_id},
        "title": [{"type": "text", "text": {"content": f"Test Database - {datetime.now()}"}}],
        "initial_data_source": {"properties": {"Name": {"title": {}}}},
    }


@pytest.fixture
def database_id(client, page_id):
    database = client.databases.create(**_database(page_id))
    yield database["id"]
    client.blocks.delete(block_id=database["id"])


@pytest.fixture
def data_source_id(client, database_id):
    return client.databases.retrieve(database_id=database_id)["data_sources"][0]["id"]


@pytest.fixture
async def async_test_data_source(async_client, parent_page_id):
    database = await async_client.databases.create(**_database(parent_page_id))
    yield database["data_sources"][0]["id"]
    await async_client.blocks.delete(block_id=database["id"])


@pytest.fixture
def view_id(client, database_id, data_source_id):
    view = client.views.create(
        database_id=database_id, data_source_id=data_source_id, name="Test View", type="table"
    )
    return view["id"]


@pytest.fixture
def comment_id(client, page_id):
    comment = client.comments.create(
        parent={"page_id": page_id}, rich_text=[{"text": {"content": "A test comment."}}]
    )
    return comment["id"]


def _named(content, name):
    stream = io.BytesIO(content)
    stream.name = name
    return stream


@pytest.fixture
def pending_single_file_upload_id(client):
    upload = client.file_uploads.create(
        mode="single_part", filename="test_file_small.txt", content_type="text/plain"
    )
    return upload["id"]


@pytest.fixture
def single_file_upload_id(client, pending_single_file_upload_id):
    client.file_uploads.send(
        file_upload_id=pending_single_file_upload_id,
        file=_named(b"small file", "test_file_small.txt"),
    )
    return pending_single_file_upload_id


@pytest.fixture
def setup_file_uploads_ids(client):
    ids = []
    for n in range(3):
        upload = client.file_uploads.create(
            mode="single_part", filename=f"test_file_{n}.txt", content_type="text/plain"
        )
        ids.append(upload["id"])
    return ids


@pytest.fixture
def pending_multi_file_upload_id(client):
    upload = client.file_uploads.create(
        mode="multi_part",
        filename="test_file_multi.txt",
        content_type="text/plain",
        number_of_parts=3,
    )
    return upload["id"]


@pytest.fixture
def part_uploaded_file_upload_id(client, pending_multi_file_upload_id):
    """The three parts sent, 10 MiB each (the size of the suite's own first part)."""
    for n in (1, 2, 3):
        client.file_uploads.send(
            file_upload_id=pending_multi_file_upload_id,
            file=_named(b"A" * (10 * 1024 * 1024), f"test_file_multi.txt.sf-part{n}"),
            part_number=str(n),
        )
    return pending_multi_file_upload_id


def _pages(title):
    return [{"parent": None, "properties": _title(title)} for _ in range(5)]


@pytest.fixture
def multiple_test_pages(client, parent_page_id):
    pages = []
    for body in _pages("test_iterate_paginated_api"):
        body["parent"] = {"page_id": parent_page_id}
        pages.append(client.pages.create(**body)["id"])
    return pages


@pytest.fixture
async def async_multiple_test_pages(async_client, parent_page_id):
    pages = []
    for body in _pages("test_async_iterate_paginated_api"):
        body["parent"] = {"page_id": parent_page_id}
        pages.append((await async_client.pages.create(**body))["id"])
    return pages
