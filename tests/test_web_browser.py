"""The pages in a real headless browser (Debian's chromium and chromedriver): install links, a feed page and its
search, no console errors, axe-core's accessibility check, and screenshots at 390 and 1280 px in tmp/artifacts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette

from adapters.web import site_routes
from bot.app import App
from tests.feed_site import LAB, NOW, PUBLIC, feed_path, paper, post, site

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"  # axe-core 4.14.1 from npm (README there)
ARTIFACTS = Path(__file__).resolve().parent.parent / "tmp" / "artifacts"
WIDTHS = (390, 1280)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; "
    ".ci/run installs them)",
)


class Server(uvicorn.Server):
    """uvicorn in a thread of the test process, on a free port of the loopback."""

    def install_signal_handlers(self) -> None:  # not the main thread: leave signals to pytest
        pass

    @property
    def url(self) -> str:
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    built = site(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'papers.db'}")
    papers = [paper(1, "Diffusion models for molecule design"), paper(2), paper(3, "World models for robots")]
    post(built, LAB, papers, NOW - timedelta(days=1), why="reinforcement-learning: reward in title")
    post(built, LAB, [paper(4, "Sparse attention at scale")], NOW)
    yield built
    built.engine.dispose()


@pytest.fixture(scope="module")
def server(app: App) -> Iterator[Server]:
    running = Server(uvicorn.Config(Starlette(routes=site_routes(app)), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:  # the state it reaches once listening (or the thread died trying)
        assert thread.is_alive(), "uvicorn did not start"
        thread.join(0.01)
    yield running
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


def open_page(browser: Any, url: str, width: int = 1280) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    browser.get(url)
    browser.get_log("browser")  # what the last page said stays with it


def console_errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def serious_violations(browser: Any) -> list[str]:
    browser.execute_script(AXE.read_text())
    found = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations), e => done([{id: 'axe failed', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def screenshots(browser: Any, url: str, name: str) -> None:
    """The page at a phone's and a laptop's width; at either nothing is wider than the screen."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        open_page(browser, url, width)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        assert browser.save_screenshot(str(ARTIFACTS / f"{name}-{width}.png"))
        assert console_errors(browser) == []


def test_the_landing_page_links_to_both_installs_and_passes_axe(browser: Any, server: Server) -> None:
    open_page(browser, server.url + "/")
    slack = browser.find_element("id", "add-to-slack")
    discord = browser.find_element("id", "add-to-discord")
    assert slack.text == "Add to Slack" and slack.get_attribute("href") == server.url + "/slack/install"
    assert discord.text == "Add to Discord"
    assert discord.get_attribute("href").startswith("https://discord.com/oauth2/authorize?client_id=123456789012345678")
    assert "scope=bot+applications.commands" in discord.get_attribute("href")
    assert browser.find_element("link text", "Privacy").get_attribute("href") == server.url + "/privacy"
    assert console_errors(browser) == []
    assert serious_violations(browser) == []
    screenshots(browser, server.url + "/", "landing")


def test_a_feed_page_lists_its_papers_and_its_search_box_filters_them(browser: Any, server: Server, app: App) -> None:
    page = server.url + feed_path(app).removeprefix(PUBLIC)
    open_page(browser, page)
    titles = [h.text for h in browser.find_elements("css selector", "li.paper h2")]
    assert titles == [
        "Sparse attention at scale",
        "Diffusion models for molecule design",
        "Paper 2 on reward shaping",
        "World models for robots",
    ]
    box = browser.find_element("id", "q")
    box.send_keys("models")
    shown = [h.text for h in browser.find_elements("css selector", "li.paper h2") if h.is_displayed()]
    assert shown == ["Diffusion models for molecule design", "World models for robots"]
    assert browser.find_element("id", "count").text == "2 papers matching “models”"
    box.send_keys(" robots")
    assert [h.text for h in browser.find_elements("css selector", "li.paper h2") if h.is_displayed()] == [
        "World models for robots"
    ]
    assert console_errors(browser) == []  # the script ran under the page's CSP: no inline script anywhere
    assert serious_violations(browser) == []
    screenshots(browser, page, "feed")


def test_the_privacy_note_passes_axe(browser: Any, server: Server) -> None:
    open_page(browser, server.url + "/privacy")
    assert browser.find_element("tag name", "h1").text == "What papers-bot stores, and what it does not"
    assert console_errors(browser) == []
    assert serious_violations(browser) == []


def test_the_accessibility_check_catches_what_it_should(browser: Any) -> None:
    open_page(browser, "data:text/html,<html><body><img src='x.png'><input type='text'></body></html>")
    found = " ".join(serious_violations(browser))
    assert "image-alt (critical)" in found and "label (critical)" in found
