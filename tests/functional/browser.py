"""A real browser for the catalog's tests: Debian's headless chromium, driven by Selenium.

``./scripts/test`` installs chromium, chromium-driver and axe-core (from the npm registry) when
they are missing. Without them the browser tests skip, saying why, except under ``CI=true``,
where a missing browser fails the run instead of hiding it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: Where the tests leave their screenshots; docs/images/ holds the copies the docs show.
SCREENSHOTS = Path(os.environ.get("ARTIFACTS_UI_SCREENSHOTS", REPO / "build" / "ui-screenshots"))
WIDE = (1440, 900)
PHONE = (390, 844)
#: The flags that keep a headless chromium from reaching anything but the test's server.
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
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--no-default-browser-check",
)
#: The axe-core rule sets checked: WCAG 2.1 A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _missing() -> str | None:
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver"), (AXE, "axe")):
        if not path.exists():
            return f"{what} is not installed at {path} (./scripts/test installs it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the test extra)"
    return None


@dataclass
class Browser:
    driver: Any
    base: str
    downloads: Path

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def follow(self, css: str) -> None:
        """Click a link or submit button and wait until the next page has replaced this one.

        The page is told apart from its successor by a mark set in its window, not by an
        element of it going stale: mid-navigation, chromedriver may answer a question about an
        old element with an unknown error instead of a stale reference. Errors while the next
        page loads are retried.
        """
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.wait import WebDriverWait

        self.driver.execute_script("window.__followed = true")
        self.find(css).click()
        WebDriverWait(self.driver, 20, ignored_exceptions=(WebDriverException,)).until(
            lambda driver: driver.execute_script(
                "return window.__followed !== true && document.readyState === 'complete'"
            )
        )

    def texts(self, css: str) -> list[str]:
        return [element.text for element in self.find_all(css)]

    @property
    def source(self) -> str:
        return str(self.driver.page_source)

    @property
    def title(self) -> str:
        return str(self.driver.title)

    def sign_out(self) -> None:
        self.driver.delete_all_cookies()

    def check_accessibility(self) -> None:
        """Run axe-core in the page and fail with each violation it finds."""
        if not self.driver.execute_script("return typeof window.axe !== 'undefined'"):
            self.driver.execute_script(AXE.read_text())
        violations = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(r.violations), e => done([{id: 'axe-error', help: String(e),"
            " nodes: []}]));",
            AXE_TAGS,
        )
        report = [
            f"{v['id']}: {v['help']} at {[n.get('target') for n in v['nodes']][:3]}"
            for v in violations
        ]
        assert not report, f"{self.driver.current_url}:\n" + "\n".join(report)

    def overflows_horizontally(self) -> bool:
        return bool(
            self.driver.execute_script(
                "return document.documentElement.scrollWidth > window.innerWidth + 1"
            )
        )

    def screenshot(self, name: str, size: tuple[int, int] = WIDE) -> Path:
        """Save the whole page at ``size``'s width (the window grows to the page's height)."""
        width, height = size
        self.driver.set_window_size(width, height)
        full = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(width, max(height, min(int(full), 2400)))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(*WIDE)
        return path

    def download(self, link: Any, name: str, timeout: float = 15) -> bytes:
        """Click a download link; return the bytes of the file saved as ``name``."""
        for old in self.downloads.iterdir():
            old.unlink()
        link.click()
        target = self.downloads / name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if target.exists() and not list(self.downloads.glob("*.crdownload")):
                return target.read_bytes()
            time.sleep(0.1)
        raise AssertionError(f"no download {name}: {sorted(os.listdir(self.downloads))}")


def chromium(base: str, workdir: Path) -> Iterator[Browser]:
    """Start a fresh headless chromium (own profile, own download folder) until closed."""
    problem = _missing()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run: {problem}")
        pytest.skip(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = workdir / "profile"
    downloads = workdir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDE[0]},{WIDE[1]}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield Browser(driver, base, downloads)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(browser: Browser) -> list[str]:
    """Severe console messages of the page (a blocked asset, a script error)."""
    try:
        entries = browser.driver.get_log("browser")
    except Exception:  # not every driver offers the log
        return []
    return [json.dumps(e) for e in entries if e.get("level") == "SEVERE"]
