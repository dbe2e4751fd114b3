"""Static files: the same bytes whether the request came through ASGI (`trygg serve`) or
WSGI, and under ASGI an async stream, so Django's handler has no synchronous file to pull
through a thread (it warns when it must)."""

from __future__ import annotations

from pathlib import Path

from asgiref.sync import async_to_sync
from django.http import StreamingHttpResponse
from django.test import AsyncClient
from django.test import Client as HttpClient

import trygg.front

CSS = Path(trygg.front.__file__).parent / "static" / "trygg" / "trygg.css"


async def _get_over_asgi(path: str) -> tuple[int, bool, bytes]:
    response = await AsyncClient().get(path)
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join([chunk async for chunk in response.streaming_content])  # type: ignore[union-attr]
    return response.status_code, response.is_async, body


def test_under_asgi_a_static_file_streams_asynchronously_and_whole() -> None:
    status, is_async, body = async_to_sync(_get_over_asgi)("/static/trygg/trygg.css")
    assert status == 200
    assert is_async
    assert body == CSS.read_bytes()


def test_under_wsgi_it_is_the_same_file() -> None:
    response = HttpClient().get("/static/trygg/trygg.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSS.read_bytes()  # type: ignore[attr-defined]
