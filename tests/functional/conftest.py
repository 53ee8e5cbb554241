"""Browser tests: Playwright driving the system's Debian Chromium (never a downloaded browser)
against pytest-django's live server. Screenshots go to test-artifacts/screenshots/."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test body
# (setting up data, checking rows) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    from tests.conftest import service_missing

    if not os.environ.get("CHROMIUM_PATH"):  # session fixtures run before the per-test marker check
        service_missing("no Chromium (apt-get install chromium; services/svc chromium status)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.environ["CHROMIUM_PATH"], args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Session:
    """One person's browser context, with helpers for screenshots, axe and CSP reports."""

    def __init__(self, browser, base_url: str, name: str, javascript: bool = True):
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="vi-VN", java_script_enabled=javascript
        )
        self.page = self.context.new_page()
        self.base_url, self.name = base_url, name
        self.csp_errors: list[str] = []
        self.page.on("console", self._console)
        self.page.set_default_timeout(15_000)

    def _console(self, msg):
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.csp_errors.append(
                f"{self.page.url} {msg.location.get('url')}:{msg.location.get('lineNumber')}: {msg.text[:80]}"
            )

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def login(self, email: str, password: str):
        self.go("/login/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", password)
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state()

    def screenshot(self, label: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width in (360, 1280):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(
                path=str(SHOTS / f"{self.name}-{label}-{width}.png"), full_page=True
            )
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def axe_violations(self) -> list[dict]:
        """Serious and critical WCAG 2.2 AA violations on the current page. axe is evaluated through
        the DevTools protocol, so the page's own CSP (no inline scripts) stays in force."""
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def close(self):
        self.context.close()


@pytest.fixture
def open_session(chromium, live_server):
    sessions = []

    def make(name: str, javascript: bool = True) -> Session:
        s = Session(chromium, live_server.url, name, javascript)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()


@pytest.fixture
def units(transactional_db):
    """Provinces and wards: data-migration rows do not survive transactional_db's flush."""
    from market.reference import admin_units

    admin_units.load()
