"""A MongoDB-compatible wire server for the tests: mongoeco in a thread, or a real MongoDB."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading


class WireServer:
    """Run mongoeco's wire proxy (in-memory engine) on a loopback port in its own loop."""

    def __init__(self) -> None:
        self._ready: concurrent.futures.Future[str] = concurrent.futures.Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="mongoeco-wire", daemon=True)

    def start(self) -> str:
        """Start serving; return the mongodb:// URI."""
        self._thread.start()
        return self._ready.result(timeout=30)

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced to the test through the future
            if not self._ready.done():
                self._ready.set_exception(exc)

    async def _serve(self) -> None:
        from mongoeco.engines.memory import MemoryEngine
        from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        proxy = AsyncMongoEcoProxyServer(engine=MemoryEngine())
        await proxy.start()
        self._ready.set_result(proxy.address.uri)
        try:
            await self._stop.wait()
        finally:
            await proxy.close()


def mongo_base_uri() -> tuple[str, WireServer | None]:
    """Return the URI of a real MongoDB (DMZPUB_TEST_MONGO_URI) or of a started mongoeco server."""
    real = os.environ.get("DMZPUB_TEST_MONGO_URI")
    if real:
        return real, None
    server = WireServer()
    return server.start(), server


def with_database(uri: str, name: str) -> str:
    """Return the URI with its database path replaced by `name`."""
    head, _, query = uri.partition("?")
    scheme, _, rest = head.partition("://")
    hosts = rest.split("/", 1)[0]
    return f"{scheme}://{hosts}/{name}" + (f"?{query}" if query else "")
