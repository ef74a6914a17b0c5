"""The square in a real browser: headless Chromium (Selenium) against a live server.

One walk through what a person does - sign up, post, create a poll, follow, like, repost, vote
from another account and read the percentages, reply, search, log out - failing on any
JavaScript console error (CSP violations included). Screenshots of the main pages go to
test-artifacts/screenshots/ (printed at the end of the run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.helpers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("browser-data")
    env = {**os.environ, "TOWNSQUARE_DATA_DIR": str(data), "TOWNSQUARE_HOST": "127.0.0.1",
           "TOWNSQUARE_PORT": str(port), "TOWNSQUARE_ARGON2_TIME_COST": "1",
           "TOWNSQUARE_ARGON2_MEMORY_COST": "1024", "TOWNSQUARE_SECRET_KEY": "browser-test",
           "TOWNSQUARE_DATABASE_URL": ""}
    log = open(data / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "townsquare.cli", "serve",
                             "--log-level", "warning"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=str(data))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/public", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("the server did not start:\n" + (data / "server.log").read_text())
        time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        missing("Chromium", "install it with `apt-get install -y chromium chromium-driver`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1100,900",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()



def _page_replaced(exc: Exception) -> bool:
    """Chromium's inspector error for an element of a page that navigation replaced: the
    same as a stale element (it reports it so now and then instead)."""
    return "does not belong to the document" in str(exc)

class Walk:
    """Small helpers over the Selenium driver, failing fast with what was on the page."""

    def __init__(self, driver: object, base: str) -> None:
        from selenium.webdriver.remote.webdriver import WebDriver

        assert isinstance(driver, WebDriver)
        self.d = driver
        self.base = base
        self.errors: list[str] = []

    def go(self, path: str) -> None:
        self.d.get(self.base + path)
        self.check_console()

    def css(self, selector: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.d, timeout).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, selector)))

    def all(self, selector: str):  # type: ignore[no-untyped-def]
        from selenium.webdriver.common.by import By

        return self.d.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, condition, timeout: float = 5.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
            WebDriverException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        # A form that submits by navigating replaces the page while the condition looks at
        # it: an element of the old page is then stale, which means "not yet", not failure.
        def attempt() -> object:
            try:
                return condition()
            except WebDriverException as exc:
                if _page_replaced(exc):
                    return False
                raise

        WebDriverWait(self.d, timeout, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException,
        )).until(lambda d: attempt(), message=what)

    def _retry(self, action) -> None:  # type: ignore[no-untyped-def]
        from selenium.common.exceptions import (
            StaleElementReferenceException,
            WebDriverException,
        )

        for attempt in range(5):
            try:
                action()
                return
            except StaleElementReferenceException:  # the page changed under us: again
                if attempt == 4:
                    raise
            except WebDriverException as exc:  # the same, as Chromium's inspector says it
                if attempt == 4 or not _page_replaced(exc):
                    raise

    def fill(self, selector: str, text: str) -> None:
        def act() -> None:
            el = self.css(selector)
            el.clear()
            el.send_keys(text)

        self._retry(act)

    def click(self, selector: str) -> None:
        self._retry(lambda: self.css(selector).click())

    def mark(self) -> None:
        """Tag the page, so `same_page` can tell an in-place update from a reload."""
        self.d.execute_script("window.__townsquare_mark = 42;")

    def same_page(self) -> bool:
        return bool(self.d.execute_script("return window.__townsquare_mark === 42;"))

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.d.save_screenshot(str(SHOTS / f"{name}.png"))

    def check_console(self) -> None:
        for entry in self.d.get_log("browser"):
            if entry["level"] in ("SEVERE", "WARNING"):
                self.errors.append(entry["message"])
        assert not self.errors, "JavaScript console errors:\n" + "\n".join(self.errors)

    def signup(self, username: str, display_name: str) -> None:
        self.go("/signup")
        self.fill("#su-username", username)
        self.fill("#su-display", display_name)
        self.fill("#su-email", f"{username}@example.org")
        self.fill("#su-password", PASSWORD)
        self.fill("#su-password2", PASSWORD)
        self.click("form[action='/signup'] button[type=submit]")
        self.wait(lambda: self.d.current_url.endswith("/home"), what="signed up, at home")
        self.check_console()

    def logout(self) -> None:
        self.click("#logout")
        self.wait(lambda: self.all("a[href='/login']"), what="logged out")
        self.check_console()


def test_a_walk_through_the_square(server: str, browser: object) -> None:
    w = Walk(browser, server)
    w.d.set_window_size(1100, 900)

    # Alice signs up and posts; the counter counts as she types, the post appears in place.
    w.signup("alice", "Alice Liddell")
    w.mark()
    text = "Hello from the browser #townsquare"
    w.fill("#compose-text", text)
    w.wait(lambda: w.css("#compose-count").text == str(500 - len(text)), what="live counter")
    w.click("#compose button[type=submit]")
    w.wait(lambda: "Hello from the browser" in w.css("#feed").text, what="post in the feed")
    assert w.same_page(), "posting reloaded the page"
    assert w.css("#compose-text").get_attribute("value") == ""

    # ... and a poll with two options.
    w.click("#compose .poll-field summary")
    w.fill("#compose-text", "Tea or coffee?")
    w.fill("#poll-0", "Tea")
    w.fill("#poll-1", "Coffee")
    w.click("#compose button[type=submit]")
    w.wait(lambda: "Tea or coffee?" in w.css("#feed").text, what="poll posted")
    w.check_console()
    w.go("/home")
    w.shot("home")
    w.go("/compose")
    w.fill("#compose-text", "Drafting a post in the composer, with a content warning")
    w.click("#compose .cw-field summary")
    w.fill("#compose-cw", "just a test")
    w.shot("compose")
    w.logout()

    # Bob signs up, follows Alice, likes and reposts in place, votes in her poll.
    w.signup("bob", "Bob")
    w.go("/@alice")
    w.click("#follow")
    w.css("#unfollow")
    w.go("/home")
    w.wait(lambda: "Tea or coffee?" in w.css("#feed").text, what="backfilled home")
    w.mark()
    hello = w.css("#feed article.status:nth-of-type(2)")
    assert "Hello from the browser" in hello.text
    sid = hello.get_attribute("data-status")
    w.click(f"#s-{sid} .act-favourite")
    w.wait(lambda: w.css(f"#s-{sid} .act-unfavourite").get_attribute("aria-pressed") == "true",
           what="liked")
    assert w.css(f"#s-{sid} .act-unfavourite .count").text == "1"
    w.click(f"#s-{sid} .act-reblog")
    w.wait(lambda: w.css(f"#s-{sid} .act-unreblog").get_attribute("aria-pressed") == "true",
           what="reposted")
    assert w.same_page(), "liking or reposting reloaded the page"
    poll_article = w.css("#feed article.status:nth-of-type(1)")
    pid = poll_article.get_attribute("data-status")
    w.click(f"#s-{pid} .poll-choice:nth-of-type(2) input")
    w.click(f"#s-{pid} .poll button[type=submit]")
    w.wait(lambda: w.all(f"#s-{pid} .poll-results"), what="poll results after voting")
    results = w.css(f"#s-{pid} .poll-results").text
    assert "100%" in results and "0%" in results, results
    assert "1 vote" in w.css(f"#s-{pid} .poll-meta").text
    assert w.same_page()
    w.check_console()
    w.go(f"/@alice/{pid}")
    w.shot("poll-results")

    # Bob replies on the thread page; the reply appears below without a reload.
    w.go(f"/@alice/{sid}")
    w.mark()
    w.fill("#reply-text", "@alice Hello back from Bob")
    w.click("#reply button[type=submit]")
    w.wait(lambda: "Hello back from Bob" in w.css("#replies").text, what="reply shown")
    assert w.same_page()
    w.go(f"/@alice/{sid}")
    assert "Hello back from Bob" in w.css("#replies").text
    w.shot("thread")

    # Search finds Alice, the hashtag and the post.
    w.go("/search")
    w.fill("#q", "alice")
    w.click("form[role=search] button")
    w.wait(lambda: "@alice" in w.css("main").text, what="account found")
    w.fill("#q", "townsquare")
    w.click("form[role=search] button")
    w.wait(lambda: w.all("a[href='/tags/townsquare']"), what="hashtag found")
    assert "Hello from the browser" in w.css("#h-posts").find_element(
        "xpath", "..").text
    w.go("/@alice")
    w.shot("profile")

    # Bob reports a post (a small form), then reads the public moderation log.
    w.go(f"/@alice/{sid}")
    w.click(".thread-links a[href^='/report']")
    w.click("input[name=category][value=spam]")
    w.fill("#rp-comment", "Looks like spam to me")
    w.click("form[action='/reports'] button[type=submit]")
    w.wait(lambda: "Thank you" in w.css("main").text, what="report sent")
    w.go("/transparency")
    assert "Moderation log" in w.css("h1").text
    w.shot("transparency")

    # For you, one click away; every ranked post says why it is there.
    w.go("/home")
    w.click(".feed-tabs button[value=for_you]")
    w.wait(lambda: w.all("details.why"), what="ranked feed with explanations")
    w.click("details.why summary")
    assert "contribution" in w.css("details.why[open]").text
    w.shot("for-you-why")
    w.mark()
    w.click("article.status .act-show_more")
    w.wait(lambda: w.css("article.status .act-show_more").get_attribute("aria-pressed")
           == "true", what="show more noted in place")
    assert w.same_page()
    w.click(".feed-tabs button[value=following]")
    w.css(".feed-tabs button[value=following][aria-pressed=true]")

    # Bob writes a community note on Alice's post.
    w.go(f"/@alice/{sid}/notes")
    w.click("input[name=classification][value=NOT_MISLEADING]")
    w.click("input[name=reasons][value=notMisleadingPersonalOpinion]")
    w.fill("#note-summary", "A greeting, not a claim: https://example.org/greetings")
    w.click("form[action='/notes'] button[type=submit]")
    w.wait(lambda: "Needs more ratings" in w.css("#notes").text, what="note listed")
    w.shot("notes")
    w.go("/algorithm")
    w.shot("algorithm")
    w.check_console()

    # Alice sees her notifications, with the unread count in the navigation.
    w.logout()
    w.go("/login")
    w.fill("#li-login", "alice")
    w.fill("#li-password", PASSWORD)
    w.click("form[action='/login'] button[type=submit]")
    w.wait(lambda: w.d.current_url.endswith("/home"), what="logged in")
    assert int(w.css("#unread").text.split()[0]) >= 3  # follow, like, repost, reply
    w.go("/notifications")
    body = w.css("#feed").text
    assert "followed you" in body and "liked your post" in body and "reposted" in body
    w.go(f"/@alice/{sid}/notes")
    assert "Rate this note" in w.css("#notes").text
    w.go("/settings/filters")
    w.shot("settings-muted-words")

    # Dark theme, and a phone-sized screen.
    w.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    w.go("/home")
    bg = w.d.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert bg != "rgb(245, 245, 242)", "dark theme not applied"
    w.shot("home-dark")
    w.go(f"/@alice/{pid}")
    w.shot("poll-dark")
    w.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    w.d.set_window_size(390, 844)
    w.go("/home")
    width = w.d.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    w.shot("phone-home")
    w.go(f"/@alice/{sid}")
    w.shot("phone-thread")
    w.d.set_window_size(1100, 900)

    w.logout()
    assert w.all("a[href='/signup']")
    w.check_console()
    print(f"\nscreenshots: {SHOTS}")


def teardown_module() -> None:
    # Keep the folder tidy between runs only of what this test writes.
    if SHOTS.exists() and not any(SHOTS.iterdir()):
        shutil.rmtree(SHOTS)
