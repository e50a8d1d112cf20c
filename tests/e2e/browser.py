"""Headless Chromium driven over the DevTools protocol (websockets), for the few tests that need a browser.

`chromium_page(url)` starts Debian's chromium with a throw-away profile, opens `url` and yields a
Page whose `evaluate()` runs JavaScript in it; the browser is always stopped and its profile removed.
`.ci/run` installs chromium; tests call `chromium_or_skip()` first.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
LISTENING = re.compile(r"DevTools listening on (ws://127\.0\.0\.1:(\d+)/\S+)")


def chromium_or_skip() -> str:
    import pytest

    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed (.ci/run installs it)")


class Page:
    """One tab, over its own DevTools WebSocket."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        await self.connection.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.connection.recv(), 30))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited); raise on a JavaScript exception."""
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, *, seconds: float = 30) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{expression!r} stayed falsy for {seconds} s")

    async def goto(self, url: str) -> None:
        await self.call("Page.navigate", url=url)


@contextlib.asynccontextmanager
async def chromium_page(executable: str, url: str) -> AsyncIterator[Page]:
    """A headless Chromium showing `url`; stopped (and its profile deleted) afterwards."""
    profile = tempfile.mkdtemp(prefix="guichet-chromium-")
    process = await asyncio.create_subprocess_exec(
        executable,
        *FLAGS,
        f"--user-data-dir={profile}",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    drain = None
    try:
        port = await asyncio.wait_for(_devtools_port(process), 30)
        # Keep reading, so that a chatty browser never blocks on a full pipe.
        drain = asyncio.ensure_future(_drain(process))
        async with httpx.AsyncClient() as client:
            targets = (await client.get(f"http://127.0.0.1:{port}/json/list", timeout=10)).json()
        page = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as connection:
            tab = Page(connection)
            await tab.call("Page.enable")
            yield tab
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        if drain is not None:
            drain.cancel()
        shutil.rmtree(profile, ignore_errors=True)


async def _devtools_port(process: asyncio.subprocess.Process) -> int:
    assert process.stderr is not None
    seen = []
    while line := (await process.stderr.readline()).decode(errors="replace"):
        seen.append(line)
        found = LISTENING.search(line)
        if found:
            return int(found.group(2))
    raise RuntimeError("chromium exited before DevTools listened:\n" + "".join(seen))


async def _drain(process: asyncio.subprocess.Process) -> None:
    assert process.stderr is not None
    while await process.stderr.read(65536):
        pass
