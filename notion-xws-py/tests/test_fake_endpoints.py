"""The fake's newer endpoints and its webhooks, through the official SDK (notion-client) over
HTTP, as a user testing their own Notion code would use them: comments, views and their
queries, templates, page moves, page markdown, custom emojis, meeting notes, a public
integration's OAuth flow, and a signed webhook received by a local endpoint and verified with
the verification token."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from notion_client import APIResponseError, Client
from notion_client.errors import HTTPResponseError

from notion_xws.testing import FakeNotion


@pytest.fixture
def fake():
    with FakeNotion() as fake:
        fake.serve()
        yield fake


@pytest.fixture
def setup(fake):
    acme = fake.add_workspace("Acme")
    with Client(auth=acme.token, base_url=fake.serve(), retry=False) as notion:
        yield fake, acme, notion


def title(text):
    return [{"type": "text", "text": {"content": text}}]


def test_comments_views_templates_moves_markdown_and_emojis(setup):
    fake, acme, notion = setup
    page = notion.pages.create(
        parent={"page_id": acme.root_page_id}, properties={"title": title("Doc")}
    )
    comment = notion.comments.create(parent={"page_id": page["id"]}, rich_text=title("Hi"))
    reply = notion.comments.create(discussion_id=comment["discussion_id"], markdown="**Yes**")
    listed = notion.comments.list(block_id=page["id"])
    assert [c["id"] for c in listed["results"]] == [comment["id"], reply["id"]]
    assert reply["rich_text"][0]["annotations"]["bold"] is True

    database = notion.databases.create(
        parent={"type": "page_id", "page_id": page["id"]},
        title=title("Tasks"),
        initial_data_source={"properties": {"Name": {"title": {}}, "N": {"number": {}}}},
    )
    ds = database["data_sources"][0]["id"]
    for n in range(3):
        notion.pages.create(
            parent={"data_source_id": ds},
            properties={"Name": {"title": title(f"t{n}")}, "N": {"number": n}},
        )
    view = notion.views.create(
        database_id=database["id"],
        data_source_id=ds,
        name="Big",
        type="table",
        filter={"property": "N", "number": {"greater_than": 0}},
    )
    query = notion.views.queries.create(view_id=view["id"])
    assert query["total_count"] == 2
    results = notion.views.queries.results(view_id=view["id"], query_id=query["id"])
    assert results["type"] == "page" and len(results["results"]) == 2
    assert len(notion.views.list(database_id=database["id"])["results"]) == 2

    template = fake.add_template(ds, "Bug", is_default=True)
    assert notion.data_sources.list_templates(data_source_id=ds)["templates"] == [
        {"id": template, "name": "Bug", "is_default": True}
    ]
    made = notion.pages.create(parent={"data_source_id": ds}, template={"type": "default"})
    assert made["properties"]["Name"]["title"][0]["plain_text"] == "Bug"

    other = notion.pages.create(
        parent={"page_id": acme.root_page_id}, properties={"title": title("Other")}
    )
    moved = notion.pages.move(page_id=other["id"], parent={"page_id": page["id"]})
    assert moved["parent"]["page_id"] == page["id"]

    notion.pages.update_markdown(
        page_id=other["id"],
        type="insert_content",
        insert_content={"content": "# Title\n\nBody"},
    )
    assert notion.pages.retrieve_markdown(page_id=other["id"])["markdown"] == "# Title\nBody"

    fake.add_custom_emoji(acme.workspace_id, "party", "https://emoji.example/p.png")
    assert notion.custom_emojis.list()["results"][0]["name"] == "party"

    with pytest.raises(APIResponseError) as refused:
        notion.comments.create(rich_text=title("nowhere"))
    assert refused.value.code == "validation_error"


class _Endpoint(BaseHTTPRequestHandler):
    """Records each POST (headers and raw body) and answers the next scripted status."""

    received: list = []
    statuses: list = []

    def do_POST(self):  # noqa: N802 (the http.server name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        status = self.statuses.pop(0) if self.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture
def endpoint():
    _Endpoint.received = []
    _Endpoint.statuses = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notion", _Endpoint
    server.shutdown()
    server.server_close()


def signed_by(body: bytes, header: str, token: str) -> bool:
    digest = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={digest}", header)


def test_a_signed_webhook_is_received_verified_and_retried(setup, endpoint):
    fake, acme, notion = setup
    url, handler = endpoint
    hook = fake.subscribe_webhook(acme.token, url)
    fake.set_webhook_retry_delay(0)
    handler.statuses.extend([200, 500])  # the verification request, then one failure
    page = notion.pages.create(
        parent={"page_id": acme.root_page_id}, properties={"title": title("Hello")}
    )

    first = fake.deliver_webhooks()
    assert [(d["event_type"], d["status"]) for d in first] == [
        ("verification", 200),
        ("page.created", 500),
    ]
    assert first[1]["will_retry"] is True and fake.pending_webhooks() == 1
    second = fake.deliver_webhooks()
    assert [(d["event_type"], d["attempt_number"], d["delivered"]) for d in second] == [
        ("page.created", 2, True)
    ]

    (verify_headers, verify_body), *events = handler.received
    assert json.loads(verify_body) == {"verification_token": hook["verification_token"]}
    assert "X-Notion-Signature" not in verify_headers
    for headers, body in events:
        assert signed_by(body, headers["X-Notion-Signature"], hook["verification_token"])
        assert not signed_by(body + b" ", headers["X-Notion-Signature"], hook["verification_token"])
        assert not signed_by(body, headers["X-Notion-Signature"], "secret_wrong")
    event = json.loads(events[-1][1])
    assert event["type"] == "page.created"
    assert event["entity"] == {"id": page["id"], "type": "page"}
    assert event["subscription_id"] == hook["subscription_id"]
    assert event["attempt_number"] == 2
    assert event["workspace_id"] == acme.workspace_id
    assert fake.deliver_webhooks() == []


def test_setting_up_the_fake_refuses_what_it_cannot_do(fake):
    acme = fake.add_workspace("Acme")
    with pytest.raises(Exception):
        fake.subscribe_webhook(acme.token, "https://example.com/hook")
    with pytest.raises(Exception):
        fake.set_webhook_retry_delay(-1)
    with pytest.raises(Exception):
        fake.add_template("not-an-id", "T")
    fake.set_file_upload_limit(acme.workspace_id, 5_000_000_000)
    assert fake.now() > 1_700_000_000


def test_a_public_integration_is_authorized_exchanged_refreshed_and_revoked(fake):
    """The OAuth flow of a public integration with the official SDK: the person's consent (played
    by the fake) gives a code, ``oauth.token`` exchanges it, the access token sees what was
    shared, ``oauth.introspect`` and a refresh, then ``oauth.revoke`` makes it 401."""
    acme = fake.add_workspace("Acme")
    uri = "https://planner.example/callback"
    app = fake.add_public_integration("Planner", [uri])
    base = fake.serve()
    with Client(auth=acme.token, base_url=base, retry=False) as notion:
        shared = notion.pages.create(
            parent={"page_id": acme.root_page_id}, properties={"title": title("Shared")}
        )
        kept = notion.pages.create(
            parent={"page_id": acme.root_page_id}, properties={"title": title("Kept")}
        )
    code = fake.authorize(
        app["client_id"], acme.workspace_id, pages=[shared["id"]], redirect_uri=uri
    )
    credentials = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    with Client(base_url=base, retry=False) as oauth:
        grant = oauth.oauth.token(
            **credentials, grant_type="authorization_code", code=code, redirect_uri=uri
        )
        assert grant["token_type"] == "bearer"
        assert grant["workspace_id"] == acme.workspace_id
        assert grant["workspace_name"] == "Acme"
        assert grant["owner"]["user"]["id"] == acme.owner_id
        # invalid_grant is not one of the SDK's APIErrorCode: it raises the unknown kind.
        with pytest.raises(HTTPResponseError) as reused:
            oauth.oauth.token(
                **credentials, grant_type="authorization_code", code=code, redirect_uri=uri
            )
        assert reused.value.status == 400
        refused = json.loads(reused.value.body)
        assert refused["code"] == "invalid_grant"
        assert refused["message"] == "Invalid code: this code has been revoked."

        with Client(auth=grant["access_token"], base_url=base, retry=False) as installed:
            assert installed.users.me()["id"] == grant["bot_id"]
            assert installed.pages.retrieve(page_id=shared["id"])["id"] == shared["id"]
            with pytest.raises(APIResponseError) as hidden:
                installed.pages.retrieve(page_id=kept["id"])
            assert hidden.value.status == 404

        seen = oauth.oauth.introspect(**credentials, token=grant["access_token"])
        assert seen["active"] is True and "read_content" in seen["scope"]
        fresh = oauth.oauth.token(
            **credentials, grant_type="refresh_token", refresh_token=grant["refresh_token"]
        )
        assert fresh["access_token"] != grant["access_token"]
        assert oauth.oauth.introspect(**credentials, token=grant["access_token"])["active"] is False

        revoked = oauth.oauth.revoke(**credentials, token=fresh["access_token"])
        assert list(revoked) == ["request_id"]
        with Client(auth=fresh["access_token"], base_url=base, retry=False) as installed:
            with pytest.raises(APIResponseError) as refused:
                installed.users.me()
            assert refused.value.status == 401

        wrong = dict(credentials, client_secret="secret_wrong")
        with pytest.raises(HTTPResponseError) as unknown:
            oauth.oauth.introspect(**wrong, token=grant["access_token"])
        assert unknown.value.status == 401
        assert json.loads(unknown.value.body)["error"] == "invalid_client"


def test_meeting_notes_are_queried_with_the_sdk(setup):
    fake, acme, notion = setup
    fake.add_meeting_note(acme.root_page_id, "Weekly sync")
    listed = notion.blocks.meeting_notes.query()
    assert listed["object"] == "list"
    assert [b["transcription"]["title"][0]["plain_text"] for b in listed["results"]] == [
        "Weekly sync"
    ]
