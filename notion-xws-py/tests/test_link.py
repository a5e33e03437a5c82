"""notion_xws.parse_notion_url: every link form of notion-api.md section 5."""

import pytest

import notion_xws
from notion_xws import InvalidLinkError, NotionXwsError, parse_notion_url

DB = "0123456789abcdef0123456789abcdef"
DB_D = "01234567-89ab-cdef-0123-456789abcdef"
VIEW = "fedcba9876543210fedcba9876543210"
VIEW_D = "fedcba98-7654-3210-fedc-ba9876543210"
ROW = "00112233445566778899aabbccddeeff"
ROW_D = "00112233-4455-6677-8899-aabbccddeeff"


def test_the_issue_example():
    link = parse_notion_url("https://app.notion.com/p/Roadmap-5b8f0c1de2a34f6789abcdef01234567")
    assert link.id == "5b8f0c1d-e2a3-4f67-89ab-cdef01234567"
    assert (link.view_id, link.peek_id, link.block_id) == (None, None, None)


@pytest.mark.parametrize(
    "text",
    [
        f"https://www.notion.so/acme/My-Database-{DB}",
        f"https://notion.so/acme/{DB}",
        f"https://www.notion.so/{DB}",
        f"https://www.notion.so/{DB_D}",
        f"https://app.notion.com/p/Tasks-{DB}",
        f"https://app.notion.com/p/{DB}",
        f"https://app.notion.com/p/Tasks-{DB}?source=copy_link",
        f"https://acme.notion.site/Database-Name-{DB}",
        f"https://notion.site/Database-Name-{DB}",
        f"notion://www.notion.so/Tasks-{DB}",
        f"notion://app.notion.com/Tasks-{DB}",
        f"https://www.notion.so/acme/Tasks-{DB}/",
        f"https://www.notion.so/Caf%C3%A9-{DB}",
        f"https://www.notion.so/Café-Menü-{DB}",
        f"https://www.notion.so/about-{DB_D}",
        f"  https://www.notion.so/Tasks-{DB.upper()}  ",
        DB,
        DB_D,
        DB.upper(),
    ],
)
def test_object_id_of_every_form(text):
    assert parse_notion_url(text).id == DB_D


def test_view_is_not_the_database():
    link = parse_notion_url(f"https://notion.so/acme/{DB}?v={VIEW}")
    assert link.id == DB_D
    assert link.view_id == VIEW_D
    link = parse_notion_url(f"https://www.notion.so/{DB}?v={VIEW}&pvs=4")
    assert (link.id, link.view_id) == (DB_D, VIEW_D)
    link = parse_notion_url(f"https://app.notion.com/p/{DB}?v={VIEW}")
    assert (link.id, link.view_id) == (DB_D, VIEW_D)


@pytest.mark.parametrize(
    "text",
    [
        f"https://www.notion.so/{DB}?v={VIEW}&p={ROW}&pm=s",
        f"https://www.notion.so/ws/Tasks-{DB}?v={VIEW}&p={ROW}&pm=s",
    ],
)
def test_peek_link_names_the_database_and_the_row(text):
    # The divergence of notion-api.md: SDKs return the row here; the database is the path.
    link = parse_notion_url(text)
    assert link.id == DB_D
    assert link.peek_id == ROW_D
    assert link.view_id == VIEW_D


@pytest.mark.parametrize("anchor", [f"#block-{ROW}", f"#{ROW}"])
def test_block_anchor(anchor):
    link = parse_notion_url(f"https://www.notion.so/Page-{DB}{anchor}")
    assert (link.id, link.block_id) == (DB_D, ROW_D)


def test_share_link_names_the_page():
    assert parse_notion_url(f"https://notion.so/share?p={ROW}").id == ROW_D


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty"),
        ("not-a-url", "neither a Notion link nor an ID"),
        ("12345", "32 hex digits"),
        (f"https://google.com/{DB}", "not a Notion host"),
        (f"https://example.com/Page-{DB}", "not a Notion host"),
        ("https://www.notion.so/invalid-page-id", "no page or database ID"),
        (f"https://www.notion.so/Tasks-{DB[:31]}", "this one has 31"),
        (f"https://www.notion.so/Tasks-{DB}a", "this one has 33"),
        (f"https://www.notion.so/Tasks-{DB[:31]}g", "'g'"),
        (f"https://www.notion.so/{DB}?v=tooshort", "view (v=)"),
        (f"https://www.notion.so/{DB}?p=", "peeked row (p=)"),
    ],
)
def test_bad_input_says_what_is_wrong(text, words):
    with pytest.raises(InvalidLinkError) as caught:
        parse_notion_url(text)
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, NotionXwsError)
    assert caught.value.code is None and caught.value.status is None


def test_links_compare_and_print():
    a = parse_notion_url(f"https://www.notion.so/Tasks-{DB}?v={VIEW}")
    b = parse_notion_url(f"https://app.notion.com/p/{DB}?v={VIEW}")
    assert a == b and hash(a) == hash(b)
    assert parse_notion_url(str(a)) == a
    assert "view_id='fedcba98-7654-3210-fedc-ba9876543210'" in repr(a)


def test_version():
    assert isinstance(notion_xws.__version__, str) and notion_xws.__version__.count(".") == 2
