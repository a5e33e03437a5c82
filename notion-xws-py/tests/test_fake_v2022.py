"""notion_xws.testing.FakeNotion under Notion-Version 2022-06-28, driven by the official SDK as
the script this project replaces drives Notion: search for a database, query it past one page of
results, create rows with a ``database_id`` parent, trash one with ``archived``.

The SDK of today (notion-client 3) has no ``databases.query`` and sends no ``properties`` on
``databases.create``: the 2022-06-28 calls go through ``Client.request``, as older scripts send them.
"""

import pytest
from notion_client import APIResponseError, Client

from notion_xws.testing import FakeNotion

ROWS = 130


def title(text):
    return [{"type": "text", "text": {"content": text}}]


@pytest.fixture
def world():
    """A fake serving on 127.0.0.1, its workspace, and the SDK speaking 2022-06-28 to it."""
    with FakeNotion() as fake:
        acme = fake.add_workspace("Acme")
        with Client(auth=acme.token, base_url=fake.serve(), notion_version="2022-06-28", retry=False) as notion:
            yield fake, acme, notion


def make_registry(notion, parent_page_id):
    """A database made as 2022-06-28 makes one (its schema at the top level)."""
    return notion.request(
        path="databases",
        method="POST",
        body={
            "parent": {"type": "page_id", "page_id": parent_page_id},
            "title": title("System Databases"),
            "properties": {"Name": {"title": {}}, "Sync": {"select": {}}, "Rank": {"number": {}}},
        },
    )


def query_all(notion, database_id, **body):
    """Every row of a database, page by page, through ``POST /v1/databases/{id}/query``."""
    rows, cursor, pages = [], None, 0
    while True:
        request = dict(body, page_size=100)
        if cursor:
            request["start_cursor"] = cursor
        answer = notion.request(path=f"databases/{database_id}/query", method="POST", body=request)
        assert answer["type"] == "page_or_database"
        rows.extend(answer["results"])
        pages += 1
        if not answer["has_more"]:
            return rows, pages
        cursor = answer["next_cursor"]


def test_the_predecessors_calls_under_2022_06_28(world):
    fake, acme, notion = world
    database = make_registry(notion, acme.root_page_id)
    assert database["object"] == "database"
    assert "data_sources" not in database
    assert database["properties"]["Rank"]["type"] == "number"

    # Search lists databases (filter value "database"); the script indexes them by lower-cased title.
    found = notion.search(filter={"property": "object", "value": "database"})
    assert found["type"] == "page_or_database"
    by_title = {"".join(t["plain_text"] for t in d["title"]).lower(): d for d in found["results"]}
    assert list(by_title) == ["system databases"]
    registry = by_title["system databases"]
    assert registry["id"] == database["id"]
    assert registry["properties"]["Sync"]["type"] == "select"

    # Rows made with a database_id parent, as 2022-06-28 makes them.
    for n in range(ROWS):
        row = notion.pages.create(
            parent={"database_id": registry["id"]},
            properties={"Name": {"title": title(f"db-{n:03}")}, "Rank": {"number": n}},
        )
        assert row["parent"] == {"type": "database_id", "database_id": registry["id"]}
        assert row["archived"] is False
    rows, pages = query_all(notion, registry["id"], sorts=[{"property": "Rank", "direction": "ascending"}])
    assert pages == 2
    assert [r["properties"]["Rank"]["number"] for r in rows] == list(range(ROWS))
    high, _ = query_all(notion, registry["id"], filter={"property": "Rank", "number": {"greater_than_or_equal_to": 120}})
    assert len(high) == ROWS - 120

    # One trashed with archived: out of the query, archived and in_trash on the page.
    first = rows[0]["id"]
    trashed = notion.pages.update(page_id=first, archived=True)
    assert trashed["archived"] is True
    assert trashed["in_trash"] is True
    rows, _ = query_all(notion, registry["id"])
    assert len(rows) == ROWS - 1
    assert first not in {r["id"] for r in rows}
    assert ("PATCH", f"/v1/pages/{first}", 200) in {(r["method"], r["path"], r["status"]) for r in fake.request_log()}


def test_later_routes_and_several_data_sources_are_refused(world):
    fake, acme, notion = world
    database = make_registry(notion, acme.root_page_id)
    with Client(auth=acme.token, base_url=fake.serve(), retry=False) as current:
        first = current.databases.retrieve(database_id=database["id"])["data_sources"][0]["id"]
        # The data-source routes are not in 2022-06-28.
        with pytest.raises(APIResponseError) as refused:
            notion.data_sources.retrieve(data_source_id=first)
        assert refused.value.code == "invalid_request_url"
        assert refused.value.status == 400
        # A second data source (made in 2025-09-03) makes the database unreadable in 2022-06-28.
        second = current.data_sources.create(
            parent={"type": "database_id", "database_id": database["id"]},
            title=title("Archive"),
            properties={"Name": {"title": {}}},
        )["id"]
    with pytest.raises(APIResponseError) as refused:
        notion.databases.retrieve(database_id=database["id"])
    error = refused.value
    assert error.code == "validation_error"
    assert str(error) == "Databases with multiple data sources are not supported in this API version."
    assert error.additional_data == {
        "error_type": "multiple_data_sources_for_database",
        "database_id": database["id"],
        "child_data_source_ids": [first, second],
        "minimum_api_version": "2025-09-03",
    }
    with pytest.raises(APIResponseError) as refused:
        notion.pages.create(parent={"database_id": database["id"]}, properties={"Name": {"title": title("x")}})
    assert refused.value.additional_data["error_type"] == "multiple_data_sources_for_database"
    # A data_source_id parent is taken in any version.
    row = notion.pages.create(parent={"data_source_id": second}, properties={"Name": {"title": title("y")}})
    assert row["parent"] == {"type": "database_id", "database_id": database["id"]}
