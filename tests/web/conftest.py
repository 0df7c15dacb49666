"""Web console tests: the real bot (`bot.commands.run.serve`) on the fake Bot API with
`WEB_PORT` set, a forum support group with an operator, a lead and a plain member, and a
headless Chromium driven by Selenium with the system's chromedriver.

Selenium's calls block: they run in a thread so the bot and the console (in this event
loop) keep answering the browser meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.storage.db import create_engine, session_factory
from tests.conftest import running_in_ci
from tests.conversation.conftest import Harness, free_port, harness  # noqa: F401  (fixture)
from tests.fakeapi.client import FakeUser
from tests.fakeapi.forum import ForumGroup

SUPPORT = -1009100
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/login/[A-Za-z0-9_-]+)")
SHOTS = os.environ.get("WEB_SCREENSHOTS")  # a folder: the main pages are saved there


def _chromedriver() -> str | None:
    return shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )


class Browser:
    """A headless Chromium; every call runs off the event loop."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver = driver
        self.base = base

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    async def get(self, path: str) -> None:
        url = path if path.startswith("http") else self.base + path
        await self.run(self.driver.get, url)

    async def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return await self.run(self.driver.find_element, By.CSS_SELECTOR, css)

    async def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(await self.run(self.driver.find_elements, By.CSS_SELECTOR, css))

    async def click(self, css: str) -> None:
        element = await self.find(css)
        await self.run(element.click)

    async def type(self, css: str, text: str) -> None:
        element = await self.find(css)
        await self.run(element.clear)
        await self.run(element.send_keys, text)

    async def select(self, css: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        element = await self.find(css)
        await self.run(lambda: Select(element).select_by_value(value))

    async def text(self, css: str = "body") -> str:
        element = await self.find(css)
        return str(await self.run(lambda: element.text))

    async def wait_text(self, css: str, needle: str, wait: float = 10.0) -> str:
        """The element's text once it shows `needle` (a click's page load may still run)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        last = ""
        while loop.time() < deadline:
            found = await self.find_all(css)
            if found:
                try:
                    last = str(await self.run(getattr, found[0], "text"))
                except Exception:  # replaced by the next page meanwhile
                    last = ""
                if needle in last:
                    return last
            await asyncio.sleep(0.1)
        raise AssertionError(f"{css!r} never showed {needle!r}; last text: {last!r}")

    async def script(self, code: str, *args: Any) -> Any:
        return await self.run(self.driver.execute_script, code, *args)

    async def path(self) -> str:
        url = str(await self.run(lambda: self.driver.current_url))
        return url.removeprefix(self.base)

    async def shot(self, name: str) -> None:
        if SHOTS:
            await self.run(lambda: Path(SHOTS).mkdir(parents=True, exist_ok=True))
            await self.run(self.driver.save_screenshot, str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def chromium() -> Iterator[Any]:
    driver_path = _chromedriver()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if driver_path is None or browser is None:
        if running_in_ci():
            pytest.fail(
                "chromium and chromium-driver are needed (apt-get install chromium chromium-driver)"
            )
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(10)  # an element of the page a click just asked for may be on its way
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Console:
    harness: Harness
    settings: Any
    group: ForumGroup
    operator: FakeUser
    lead: FakeUser
    member: FakeUser
    base: str

    async def sessions(self) -> Any:
        engine = create_engine(self.settings.database_url)
        return engine, session_factory(engine)

    async def link_for(self, user: FakeUser) -> str:
        """Send /web as this user and return the link the bot answers with."""
        await user.send_text("/web")
        message = await user.wait_for_message(
            15, lambda m: bool(m.text and ("/login/" in m.text or "⛔" in m.text))
        )
        found = LINK.search(message.text or "")
        assert found, message.text
        return found.group(1)

    async def settle(self) -> None:
        await self.harness.tg.wait_confirmed(timeout=20)
        await asyncio.wait_for(self.harness.tracker.idle.wait(), timeout=20)


@pytest.fixture
async def console(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Console]:  # noqa: F811
    tg = harness.tg
    operator = tg.user(7001, first_name="小王", language_code="zh")
    lead = tg.user(7002, first_name="老张", language_code="zh")
    member = tg.user(7003, first_name="路人", language_code="zh")
    group = ForumGroup(tg, SUPPORT, "客服工作台", owner=lead)
    await group.ensure()
    await group.set_bot_admin(True)
    await group.set_member(operator, "administrator")
    await group.set_member(member, "member")
    for user in (operator, lead, member):
        await user.open_chat()
    port = free_port()
    monkeypatch.setenv("WEB_PORT", str(port))
    monkeypatch.setenv("WEB_HOST", "127.0.0.1")
    monkeypatch.delenv("WEB_BASE_URL", raising=False)
    settings = harness.settings(support_chat_id=SUPPORT, operator_ids="7001", lead_ids="7002")
    buyer = harness.buyer(1001, "zh")
    await buyer.user.open_chat()
    await harness.start_bot(settings)
    base = f"http://127.0.0.1:{port}"
    await _wait_port(port)
    yield Console(harness, settings, group, operator, lead, member, base)


async def _wait_port(port: int, wait: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)
