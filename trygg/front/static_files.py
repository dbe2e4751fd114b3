"""Static files under ASGI: WhiteNoise, streaming each file with an async iterator.

WhiteNoise answers with a `FileResponse` over a plain file, a synchronous iterator. Django's
ASGI handler then warns ("StreamingHttpResponse must consume synchronous iterators") and
pulls it through a thread of its own. Here the same chunks are read in a worker thread
one by one and handed over as an async iterator, so `trygg serve` serves its CSS, scripts
and icons the way the ASGI handler expects. A production installation may leave static
files to its reverse proxy; nothing here changes what is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


async def _in_thread(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    iterator = iter(chunks)
    read = sync_to_async(_next_chunk, thread_sensitive=False)
    while (chunk := await read(iterator)) is not None:
        yield chunk


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    @staticmethod
    def serve(static_file: Any, request: HttpRequest) -> StreamingHttpResponse:
        response: StreamingHttpResponse = WhiteNoiseMiddleware.serve(static_file, request)
        if isinstance(request, ASGIRequest) and not response.is_async:
            chunks = cast(Iterator[bytes], response.streaming_content)
            response.streaming_content = _in_thread(chunks)
        return response
