"""Screenshots of the portal's main pages, for the README: `.venv/bin/python docs/screenshots/take.py`.

Builds a sample tenant in a temporary SQLite database, serves the whole web app on an ephemeral port
and has Debian's chromium (through Playwright, as the browser tests do) save one PNG per page in this
folder: desktop width, plus the menu on a phone screen.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.screenshot_world import SUSPENDED_USER, pages, sample_world, serve  # noqa: E402

HERE = Path(__file__).parent


def main() -> int:
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, FLAGS

    with tempfile.TemporaryDirectory() as folder, serve(Path(folder)) as url:
        sample_world(Path(folder))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            for name, login, path, size in pages():
                context = browser.new_context(base_url=url, locale="es-ES", viewport=size, timezone_id="Europe/Madrid")
                page = context.new_page()
                if login:
                    sign_in(page, login)
                page.goto(path)
                if name == "login-suspended":  # the suspended customer's person, refused with the reason
                    fill_sign_in(page, SUSPENDED_USER)
                    page.wait_for_load_state()
                if name == "audio-record":  # the "Grabación de voz" pop-up following its call
                    record_by_phone(page)
                if name.endswith("phone-menu"):
                    page.get_by_role("navigation").get_by_text("Menú", exact=True).click()
                page.screenshot(path=str(HERE / f"{name}.png"), full_page=True)
                print(f"{name}.png  {path}")
                context.close()
            browser.close()
    return 0


def record_by_phone(page) -> None:
    page.get_by_role("button", name="Grabación de voz").click()
    dialog = page.get_by_role("dialog", name="Grabación de voz")
    dialog.get_by_label("Nombre del archivo").fill("Vacaciones de agosto")
    dialog.get_by_label("Número al que llamar").fill("1002")
    dialog.get_by_role("button", name="Llamarme").click()
    page.get_by_role("dialog", name="Grabación de voz").get_by_role("status").wait_for()


def sign_in(page, login: tuple[str, str]) -> None:
    """As a person would: the form, then the page it leads to."""
    page.goto("/login")
    fill_sign_in(page, login)
    page.wait_for_url(lambda url: "/login" not in url)


def fill_sign_in(page, login: tuple[str, str]) -> None:
    page.get_by_label("Usuario").fill(login[0])
    page.get_by_label("Contraseña").fill(login[1])
    page.get_by_role("button", name="Iniciar sesión").click()


if __name__ == "__main__":
    sys.exit(main())
