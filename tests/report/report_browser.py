"""Headless Chromium for the report tests: Debian's chromium + chromedriver, network blocked.

Never lets Selenium download a browser or driver: the driver path is given explicitly.
Requests are recorded from Chrome's performance log, so a test can assert that nothing
but file:, data: and about: URLs was asked for.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver",)


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when Debian's packages are not installed."""
    browser = next((p for p in CHROMIUM_CANDIDATES if Path(p).is_file()), None)
    driver = next((p for p in CHROMEDRIVER_CANDIDATES if Path(p).is_file()), None)
    if browser is None or driver is None:
        return None
    return browser, driver


def missing_browser_reason() -> str:
    """Which of Debian's packages is missing, for a skip message that names it."""
    missing = [
        f"{what} (Debian package {package}; looked at {', '.join(paths)})"
        for what, package, paths in (
            ("chromium", "chromium", CHROMIUM_CANDIDATES),
            ("chromedriver", "chromium-driver", CHROMEDRIVER_CANDIDATES),
        )
        if not any(Path(p).is_file() for p in paths)
    ]
    return "headless browser not usable: missing " + " and ".join(missing)


@dataclass
class Browser:
    driver: Any
    requests: list[str] = field(default_factory=list)
    request_ids: dict[str, str] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)  # refused by the page's own CSP
    console: list[dict[str, Any]] = field(default_factory=list)

    def open(self, path: Path, *, wait_for: str = "window.geoleakReady === true") -> None:
        """Load a page; requests and console messages are then those of this page only."""
        self.collect()
        self.requests.clear()
        self.console.clear()
        self.blocked.clear()
        self.driver.get(path.resolve().as_uri())
        self.wait(wait_for)
        self.collect()

    def wait(self, condition: str, timeout_s: float = 20.0) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout_s).until(
            lambda d: d.execute_script(f"return Boolean({condition});")
        )

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def collect(self) -> None:
        """Read the requests and console messages logged since the last call."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                self.request_ids[params["requestId"]] = params["request"]["url"]
                self.requests.append(params["request"]["url"])
            elif message.get("method") == "Network.loadingFailed" and params.get("blockedReason"):
                url = self.request_ids.get(params["requestId"], "")
                if params["blockedReason"] == "csp" and url:
                    self.blocked.append(url)
        self.console.extend(self.driver.get_log("browser"))

    def external_requests(self) -> list[str]:
        self.collect()
        # chrome://, chrome-untrusted:// (the new-tab page's own parts, e.g. its
        # "one-google-bar") and chrome-extension:// are the browser's own pages, not the
        # network; a request the page's Content-Security-Policy refused never left the browser
        local = ("file:", "data:", "about:", "blob:", "chrome:", "chrome-untrusted:",
                 "chrome-extension:", "devtools:")  # fmt: skip
        return [u for u in self.requests if not u.startswith(local) and u not in self.blocked]

    def console_errors(self) -> list[dict[str, Any]]:
        self.collect()
        return [m for m in self.console if m.get("level") == "SEVERE"]

    def screenshot(self, path: Path) -> Path:
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Browser]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    assert found is not None
    browser_path, driver_path = found
    profile = tempfile.mkdtemp(prefix="geoleak-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        # The network is blocked: no name resolves and every proxy connection fails.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
        "--proxy-server=http://127.0.0.1:9",
        "--allow-file-access-from-files",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_page_load_timeout(30)
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
