"""Real-browser tests: Debian's chromium driven by Playwright for Python, against the real web app.

Playwright never downloads a browser here (`playwright install` is not run, and cannot be: no
network): it drives the chromium Debian installs (`.ci/run` installs it) through executable_path.
Without chromium the tests skip, saying so; under CI=true they fail instead, as the PostgreSQL ones
do. Each test gets a fresh browser context (cookies, storage); Playwright gives the browser a fresh
--user-data-dir of its own. The flags keep Chromium off the network it would otherwise call home to.

The web app (every mount: /cdr, /phonebook, /api/v1 and the portal) runs in a thread on an
ephemeral port over an SQLite database the test also reads and writes directly.
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from fs_plugins import db as dbmod
from fs_plugins.config import Config
from fs_plugins.sim.inbound import InboundEmulator
from fs_plugins.web import make_web_app
from tests.conftest import UNDER_CI

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    reason = "Debian's chromium is not installed (apt-get install chromium; .ci/run does it)"
    if UNDER_CI:
        pytest.fail(f"CI=true requires the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    url: str
    config: Config
    database: object
    freeswitch: InboundEmulator  # the emulated event socket the app talks to (voicemail, flushes)
    folder: Path


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The whole web app on 127.0.0.1:<ephemeral> over a fresh SQLite database, for one test module,
    talking to FreeSWITCH's emulated event socket."""
    folder = tmp_path_factory.mktemp("portal")
    database = dbmod.connect(f"sqlite:///{folder / 'centralita.db'}")
    emulator, stop_emulator = emulator_in_its_own_thread()
    host, port = emulator.address
    config = Config().replace(data_dir=str(folder), fs_event_socket_host=host, fs_event_socket_port=port,
                              voicemail_files_dir=str(folder / "voicemail"))
    server = make_server("127.0.0.1", 0, make_web_app(config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", config, database, emulator, folder)
    server.shutdown()
    stop_emulator()
    database.close()


def emulator_in_its_own_thread():
    """The event-socket emulator is a gevent server: it runs only while its hub does. Playwright blocks
    the test's thread without yielding to gevent, so the emulator gets a thread (and hub) of its own."""
    import gevent

    started, stopping = threading.Event(), threading.Event()
    emulator = InboundEmulator()

    def run():
        emulator.start()
        started.set()
        while not stopping.is_set():
            gevent.sleep(0.02)
        emulator.stop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)

    def stop():
        stopping.set()
        thread.join(10)

    return emulator, stop


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="es-ES")
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(lambda url: "/login" not in url)
