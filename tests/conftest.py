"""Cross-cutting fixtures: a real headless Chromium and a served demo."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this thread; Django's ORM
# calls from the test body are still synchronous, so the async guard is a false alarm.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def screenshot_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe_scan():
    """Run axe-core (from npm) in the page; returns violations that are serious or critical."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci): accessibility scan skipped")

    def scan(page) -> list[dict]:
        # Evaluated through the DevTools protocol, not added as an inline <script>: the
        # Content-Security-Policy (script-src 'self') rightly refuses inline scripts.
        page.evaluate(AXE.read_text())
        result = page.evaluate("async () => await axe.run(document)")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    return scan


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def klantpeil(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed ``klantpeil`` command in its own process (its own settings)."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"KLANTPEIL_ENV", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "-m", "klantpeil.cli", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory):
    """``klantpeil demo`` on a fresh SQLite folder, served by waitress on a free port."""
    data_dir = tmp_path_factory.mktemp("demo")
    port = free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KLANTPEIL_ENV", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    log = (data_dir / "demo.log").open("w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "klantpeil.cli",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--scale",
            "0.02",
            "--seed",
            "3",
        ],
        env=clean,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            process.kill()
            pytest.fail("klantpeil demo did not come up:\n" + log.read())
        time.sleep(0.3)
    log.seek(0)
    output = log.read()
    password = re.search(r"password '([^']+)'", output).group(1)
    logins = dict(re.findall(r"^\s+(\S+@\S+)\s+(\w+)", output, flags=re.MULTILINE))
    yield {
        "url": base,
        "password": password,
        "logins": logins,
        "output": output,
        "data_dir": data_dir,
    }
    process.terminate()
    process.wait(timeout=20)
    log.close()
