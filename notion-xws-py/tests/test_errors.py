"""The exception hierarchy of notion_xws.errors."""

import inspect

import notion_xws
from notion_xws import errors


def test_every_exception_is_a_notion_xws_error_and_exported():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)]
    assert len(classes) == len(errors.__all__)
    for cls in classes:
        assert issubclass(cls, notion_xws.NotionXwsError)
        assert getattr(notion_xws, cls.__name__) is cls
        assert cls.__doc__


def test_input_errors_are_value_errors():
    for cls in (
        errors.InvalidIdError,
        errors.InvalidLinkError,
        errors.InvalidTokenError,
        errors.InvalidOptionError,
    ):
        assert issubclass(cls, ValueError)
    assert issubclass(errors.InvalidOptionError, errors.ConfigError)


def test_api_attributes():
    e = errors.NotFoundError("gone", code="object_not_found", status=404, request_id="r")
    assert (e.code, e.status, e.request_id, str(e)) == ("object_not_found", 404, "r", "gone")
    e = errors.RateLimitedError("slow down", status=429, retry_after=75.0)
    assert e.retry_after == 75.0
