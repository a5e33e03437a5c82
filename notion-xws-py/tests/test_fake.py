"""notion_xws.testing.FakeNotion, driven over HTTP by the official SDK (notion-client) as a user would."""

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import httpx
import pytest
from notion_client import APIResponseError, Client
from notion_client.helpers import collect_paginated_api, iterate_paginated_api

import notion_xws
from notion_xws.testing import FakeNotion, FakeWorkspace

ROWS = 250


_clients = []


@pytest.fixture(autouse=True)
def _close_clients():
    """Closes the SDK clients a test opened (their sockets would warn)."""
    yield
    while _clients:
        _clients.pop().close()


@pytest.fixture
def fake():
    """A fake Notion serving on 127.0.0.1, stopped after the test."""
    with FakeNotion() as fake:
        fake.serve()
        yield fake


def client(fake: FakeNotion, workspace: FakeWorkspace) -> Client:
    """The official SDK pointed at the fake, without retries (errors show at once)."""
    notion = Client(auth=workspace.token, base_url=fake.serve(), retry=False)
    _clients.append(notion)
    return notion


def title(text):
    return [{"type": "text", "text": {"content": text}}]


def make_database(notion: Client, parent_page_id: str):
    """A page under `parent_page_id` and a database in it; returns (page, database, data source ID)."""
    page = notion.pages.create(
        parent={"type": "page_id", "page_id": parent_page_id},
        properties={"title": {"title": title("Projects")}},
    )
    database = notion.databases.create(
        parent={"type": "page_id", "page_id": page["id"]},
        title=title("Tasks"),
        initial_data_source={
            "properties": {
                "Name": {"title": {}},
                "Points": {"number": {"format": "number"}},
                "Done": {"checkbox": {}},
                "Stage": {"select": {"options": [{"name": "todo"}, {"name": "done"}]}},
            }
        },
    )
    return page, database, database["data_sources"][0]["id"]


def add_row(notion: Client, data_source_id: str, n: int):
    return notion.pages.create(
        parent={"type": "data_source_id", "data_source_id": data_source_id},
        properties={
            "Name": {"title": title(f"Task {n}")},
            "Points": {"number": n},
            "Stage": {"select": {"name": "todo"}},
        },
    )


def test_workspace_attributes():
    fake = FakeNotion(seed=7)
    acme = fake.add_workspace("Acme")
    assert isinstance(acme, FakeWorkspace)
    assert acme.name == "Acme"
    assert acme.token.startswith("ntn_")
    assert acme.integration_name
    for value in (acme.root_page_id, acme.workspace_id, acme.integration_id, acme.owner_id):
        assert notion_xws.parse_notion_url(value).id == value  # lowercase, dashed
    assert acme.token not in repr(acme)
    # The same seed and calls give the same IDs and tokens.
    again = FakeNotion(seed=7).add_workspace("Acme")
    assert (again.root_page_id, again.token) == (acme.root_page_id, acme.token)


def test_a_database_of_250_rows_through_the_sdk(fake):
    acme = fake.add_workspace("Acme")
    notion = client(fake, acme)
    page, database, data_source_id = make_database(notion, acme.root_page_id)
    assert page["object"] == "page" and database["object"] == "database"
    assert page["parent"]["page_id"] == acme.root_page_id

    created = [add_row(notion, data_source_id, n) for n in range(ROWS)]
    assert len({row["id"] for row in created}) == ROWS

    fake.clear_request_log()
    rows = collect_paginated_api(
        notion.data_sources.query, data_source_id=data_source_id, page_size=100
    )
    assert len(rows) == ROWS
    assert {row["id"] for row in rows} == {row["id"] for row in created}
    queries = [e for e in fake.request_log() if e["path"].endswith("/query")]
    assert len(queries) == 3  # 100 + 100 + 50

    # Update one row.
    first = created[0]
    notion.pages.update(first["id"], properties={"Done": {"checkbox": True}})
    assert notion.pages.retrieve(first["id"])["properties"]["Done"]["checkbox"] is True

    # Trash one: it leaves the query results.
    trashed = created[1]
    assert notion.pages.update(trashed["id"], in_trash=True)["in_trash"] is True
    remaining = list(
        iterate_paginated_api(notion.data_sources.query, data_source_id=data_source_id)
    )
    assert len(remaining) == ROWS - 1
    assert trashed["id"] not in {row["id"] for row in remaining}

    done = notion.data_sources.query(
        data_source_id, filter={"property": "Done", "checkbox": {"equals": True}}
    )
    assert [row["id"] for row in done["results"]] == [first["id"]]


def test_a_revoked_token_is_unauthorized(fake):
    acme = fake.add_workspace("Acme")
    notion = client(fake, acme)
    notion.pages.retrieve(acme.root_page_id)
    assert fake.revoke_token(acme.token) is True
    with pytest.raises(APIResponseError) as caught:
        notion.pages.retrieve(acme.root_page_id)
    assert caught.value.code == "unauthorized"
    assert caught.value.status == 401
    assert fake.revoke_token("ntn_" + "0" * 46) is False


def test_an_unshared_page_is_not_found_and_the_message_names_the_integration(fake):
    acme = fake.add_workspace("Acme")
    notion = client(fake, acme)
    page = notion.pages.create(
        parent={"page_id": acme.root_page_id}, properties={"title": {"title": title("Notes")}}
    )
    # By link, as a user would copy it from Notion.
    link = "https://www.notion.so/acme/Notes-" + page["id"].replace("-", "")
    fake.share(acme.token, link)
    fake.unshare(acme.token, acme.root_page_id)
    notion.pages.retrieve(page["id"])  # still shared directly
    fake.unshare(acme.token, link)
    with pytest.raises(APIResponseError) as caught:
        notion.pages.retrieve(page["id"])
    assert caught.value.code == "object_not_found"
    assert caught.value.status == 404
    assert acme.integration_name in str(caught.value)


def test_an_unknown_property_is_a_validation_error(fake):
    acme = fake.add_workspace("Acme")
    notion = client(fake, acme)
    _, _, data_source_id = make_database(notion, acme.root_page_id)
    with pytest.raises(APIResponseError) as caught:
        notion.pages.create(
            parent={"data_source_id": data_source_id},
            properties={"Name": {"title": title("x")}, "Nope": {"number": 1}},
        )
    assert caught.value.code == "validation_error"
    assert caught.value.status == 400
    assert "Nope" in str(caught.value)


def test_a_body_that_is_not_json_is_invalid_json(fake):
    acme = fake.add_workspace("Acme")
    url = urlsplit(fake.serve())
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/v1/pages",
            body=b"{not json",
            headers={
                "Authorization": f"Bearer {acme.token}",
                "Notion-Version": "2025-09-03",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 400
    assert (body["object"], body["code"], body["status"]) == ("error", "invalid_json", 400)


def test_the_request_log_names_workspaces_and_statuses(fake):
    acme = fake.add_workspace("Acme")
    globex = fake.add_workspace("Globex")
    fake.clear_request_log()
    client(fake, acme).pages.retrieve(acme.root_page_id)
    with pytest.raises(APIResponseError):
        client(fake, globex).pages.retrieve(acme.root_page_id)  # another workspace's page
    fake.revoke_token(globex.token)
    with pytest.raises(APIResponseError):
        client(fake, globex).users.me()
    log = fake.request_log()
    assert [(e["method"], e["status"], e["workspace"], e["integration"]) for e in log] == [
        ("GET", 200, "Acme", acme.integration_name),
        ("GET", 404, "Globex", globex.integration_name),
        ("GET", 401, None, None),
    ]
    assert log[0]["path"] == f"/v1/pages/{acme.root_page_id}"
    assert log[2]["path"] == "/v1/users/me"
    assert all(e["fault"] is None for e in log)
    assert all(acme.token not in str(e) and globex.token not in str(e) for e in log)
    fake.clear_request_log()
    assert fake.request_log() == []
    assert fake.requests_received() == 3


def test_serve_is_idempotent_and_stop_stops_the_server():
    fake = FakeNotion()
    assert fake.base_url is None
    url = fake.serve()
    assert url.startswith("http://127.0.0.1:")
    assert fake.serve() == url and fake.base_url == url
    with pytest.raises(urllib.error.HTTPError) as answered:
        urllib.request.urlopen(url + "/v1/users/me", timeout=10)
    assert answered.value.code == 400  # no Notion-Version: the fake answers
    answered.value.close()
    fake.stop()
    assert fake.base_url is None
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(url + "/v1/users/me", timeout=10)
    assert isinstance(refused.value.reason, ConnectionRefusedError)
    fake.stop()  # again: nothing to do


def test_the_context_manager_stops_the_server():
    with FakeNotion() as fake:
        url = fake.serve()
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(url + "/v1/users/me", timeout=10)
    assert isinstance(refused.value.reason, ConnectionRefusedError)


def test_clients_in_threads_run_in_parallel(fake):
    """The GIL is released while the fake serves: SDK clients in threads all get through."""
    workspaces = [fake.add_workspace(f"W{i}") for i in range(4)]
    failures = []

    def work(workspace):
        try:
            notion = client(fake, workspace)
            for n in range(20):
                notion.pages.create(
                    parent={"page_id": workspace.root_page_id},
                    properties={"title": {"title": title(f"p{n}")}},
                )
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in workspaces]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    by_workspace = {}
    for entry in fake.request_log():
        by_workspace[entry["workspace"]] = by_workspace.get(entry["workspace"], 0) + 1
    assert by_workspace == {f"W{i}": 20 for i in range(4)}


def test_rate_limits_and_faults_are_configuration(fake):
    limited = FakeNotion(requests_per_minute=60, burst=2)
    acme = limited.add_workspace("Acme")
    notion = client(limited, acme)
    statuses = []
    for _ in range(3):
        try:
            notion.users.me()
            statuses.append(200)
        except APIResponseError as error:
            statuses.append(error.status)
    limited.stop()
    assert statuses == [200, 200, 429]

    faulty = FakeNotion(server_error=1.0)
    acme = faulty.add_workspace("Acme")
    with pytest.raises(APIResponseError) as caught:
        client(faulty, acme).users.me()
    faulty.stop()
    assert caught.value.status in (500, 503, 504)
    assert faulty.request_log()[-1]["fault"] is not None


def test_bad_arguments_raise_the_library_errors():
    fake = FakeNotion()
    acme = fake.add_workspace("Acme")
    with pytest.raises(notion_xws.InvalidLinkError):
        fake.share(acme.token, "https://example.com/nothing")
    with pytest.raises(notion_xws.InvalidTokenError):
        fake.revoke_token("")
    with pytest.raises(notion_xws.ConfigError):
        fake.share("ntn_" + "1" * 46, acme.root_page_id)  # a token the fake does not know
    with pytest.raises(notion_xws.ConfigError):
        fake.share(acme.token, "0123456789abcdef0123456789abcdef")  # no such object
    with pytest.raises(notion_xws.InvalidIdError):
        fake.add_user("not an id", "Ada", "ada@example.com")
    with pytest.raises(notion_xws.ConfigError):
        FakeNotion(requests_per_minute=0)
    with pytest.raises(notion_xws.ConfigError):
        FakeNotion(burst=3)
    with pytest.raises(notion_xws.ConfigError):
        FakeNotion(conflict=1.5)


def test_add_user_makes_a_person_the_api_lists(fake):
    acme = fake.add_workspace("Acme")
    user_id = fake.add_user(acme.workspace_id, "Ada Lovelace", "ada@example.com")
    users = collect_paginated_api(client(fake, acme).users.list)
    ada = [u for u in users if u["id"] == user_id]
    assert len(ada) == 1
    assert ada[0]["type"] == "person" and ada[0]["name"] == "Ada Lovelace"


def test_stop_also_ends_kept_alive_connections():
    fake = FakeNotion()
    acme = fake.add_workspace("Acme")
    notion = client(fake, acme)
    notion.users.me()  # opens a kept-alive connection
    fake.stop()
    with pytest.raises(httpx.ConnectError):
        notion.users.me()
    assert len(fake.request_log()) == 1


def test_dropping_the_fake_stops_its_server():
    fake = FakeNotion()
    url = fake.serve()
    del fake
    for _ in range(100):  # the server stops in the background: allow it a moment
        try:
            urllib.request.urlopen(url + "/v1/users/me", timeout=10)
        except urllib.error.HTTPError as answered:
            answered.close()
            time.sleep(0.01)
        except (ConnectionResetError, http.client.RemoteDisconnected):
            # Stopping while this request was open: the next one is refused.
            time.sleep(0.01)
        except urllib.error.URLError as refused:
            if isinstance(refused.reason, ConnectionResetError):
                time.sleep(0.01)
                continue
            assert isinstance(refused.reason, ConnectionRefusedError)
            return
    pytest.fail("the server of a dropped FakeNotion still answers")


def test_a_second_integration_sees_only_what_is_shared_and_a_refreshed_secret_replaces_the_token(fake):
    acme = fake.add_workspace("Acme")
    second = fake.add_integration(acme.workspace_id, "Acme sync (new)")
    assert set(second) == {"name", "token", "integration_id", "workspace_id"}
    assert second["workspace_id"] == acme.workspace_id and second["token"] != acme.token
    notion = Client(auth=second["token"], base_url=fake.serve(), retry=False)
    _clients.append(notion)
    with pytest.raises(APIResponseError) as caught:
        notion.pages.retrieve(acme.root_page_id)
    assert caught.value.status == 404
    fake.share(second["token"], acme.root_page_id)
    assert notion.pages.retrieve(acme.root_page_id)["id"] == acme.root_page_id
    assert notion.users.me()["id"] == second["integration_id"]

    # A refreshed secret: the same integration (what is shared with it) under a new token.
    fresh = fake.refresh_token(second["token"])
    assert fresh != second["token"]
    with pytest.raises(APIResponseError) as caught:
        notion.pages.retrieve(acme.root_page_id)
    assert caught.value.status == 401
    renewed = Client(auth=fresh, base_url=fake.serve(), retry=False)
    _clients.append(renewed)
    assert renewed.pages.retrieve(acme.root_page_id)["id"] == acme.root_page_id
    assert renewed.users.me()["id"] == second["integration_id"]
    with pytest.raises(notion_xws.ConfigError):
        fake.refresh_token(second["token"])
