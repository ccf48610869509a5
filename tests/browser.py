"""A real browser for tests and screenshots: Debian's headless Chromium driven by its chromedriver, and
the real aiohttp app served from a thread of its own (Selenium's calls block).

Where chromium, chromedriver or the ``selenium`` package is missing, :func:`browser_or_skip` skips the
test with the reason (``.ci/run`` installs them).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from collections.abc import Iterator
from typing import Any

from aiohttp import web

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def missing() -> str | None:
    """Why no browser can run here, or ``None``."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    if not any(shutil.which(name) for name in CHROMIUM_NAMES):
        return "chromium is not installed (apt-get install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 900, *, mobile: bool = False, language: str = "ja-JP") -> Iterator[Any]:
    """A headless Chromium whose page is ``width`` CSS pixels wide (``mobile``: a phone's viewport), whose
    user prefers ``language``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    binary = next(path for name in CHROMIUM_NAMES if (path := shutil.which(name)))
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--lang={language}"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    options.add_experimental_option("prefs", {"intl.accept_languages": f"{language},{language.split('-')[0]}"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    try:
        # The window's size includes no browser chrome in headless mode, but pin the viewport exactly.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        yield driver
    finally:
        driver.quit()


class ServedApp:
    """An aiohttp application served on 127.0.0.1 (an ephemeral port) by a thread with its own loop."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="served-app", daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __enter__(self) -> ServedApp:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=60)
        return self

    async def _start(self) -> str:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
