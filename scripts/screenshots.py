"""Screenshots for the README, taken from the real app in Debian's chromium.

Starts the app on a temporary database (demo mail, demo registry, CSRF on) on 127.0.0.1,
registers a user through the browser and saves:

    docs/screenshots/front-page.png        the front page a visitor sees
    docs/screenshots/register.png          the registration page, filled in
    docs/screenshots/activation-email.png  the activation e-mail in the demo mailbox
    docs/screenshots/company-preview.png   step 2 of "Dodaj firmę": the registry's data
    docs/screenshots/company-phone.png     the company page on a phone (390×844), the menu folded

Run: .venv/bin/python scripts/screenshots.py   (or: make screenshots)
"""

import re
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import expect
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from konto import create_app  # noqa: E402
from konto.db import database  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--hide-scrollbars", "--font-render-hinting=none",
]  # fmt: skip
OUT = ROOT / "docs" / "screenshots"
EMAIL = "anna.nowak@example.com"
PASSWORD = "zielone-jabłko-na-wiosnę"


def serve(tmp):
    app = create_app({
        "SECRET_KEY": "screenshots",
        "DATABASE_URL": "sqlite:///" + str(Path(tmp) / "konto.sqlite3"),
        "KONTO_REGISTRY": "demo",
        "KONTO_DEMO": True,
        "RATELIMIT_ENABLED": False,
    })  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["KONTO_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # the links in its e-mails
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server, url = serve(tmp)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(base_url=url, locale="pl-PL", viewport={"width": 1000, "height": 800})
                page = context.new_page()
                take(page)
                browser.close()
        finally:
            server.shutdown()
            database.close()
    for name in ("front-page", "register", "activation-email", "company-preview", "company-phone"):
        print(OUT / f"{name}.png")


def take(page):
    main = page.locator("#main")

    # The front page a visitor sees.
    page.goto("/")
    expect(main.locator("h1")).to_contain_text("Twoje firmy")
    page.screenshot(path=str(OUT / "front-page.png"), full_page=True)

    # The registration page, filled in, with the password strength hint.
    page.goto("/rejestracja")
    main.get_by_label("Imię", exact=True).fill("Anna")
    main.get_by_label("Nazwisko", exact=True).fill("Nowak")
    main.get_by_label("Adres e-mail", exact=True).fill(EMAIL)
    with page.expect_response(re.compile(r"/sprawdz/haslo")):
        main.get_by_label("Hasło", exact=True).fill(PASSWORD)
    expect(main.locator("#password-strength")).to_contain_text("Siła hasła")
    main.get_by_label("Powtórz hasło", exact=True).fill(PASSWORD)
    main.get_by_label("akceptuję regulamin", exact=False).check()
    main.get_by_label("zgodę na przetwarzanie moich danych", exact=False).check()
    page.locator("body").click(position={"x": 5, "y": 300})  # no focus ring in the picture
    page.screenshot(path=str(OUT / "register.png"), full_page=True)

    with page.expect_navigation():
        main.get_by_role("button", name="Załóż konto").click()
    expect(main.locator("h1")).to_have_text("Sprawdź pocztę")

    # The activation e-mail as the demo mailbox shows it.
    page.goto("/poczta/")
    with page.expect_navigation():
        main.get_by_role("link", name="Aktywuj swoje Konto").first.click()
    frame = page.frame_locator("iframe.mail-frame")
    expect(frame.get_by_text("Aktywuj konto").first).to_be_visible()
    page.screenshot(path=str(OUT / "activation-email.png"), full_page=True)

    # Activate (with the password, which logs in), and look a company up: step 2 of the wizard.
    with page.expect_navigation():
        main.locator('pre.mail-text a[href*="/aktywacja/"]').first.click()
    main.get_by_label("Hasło podane przy rejestracji", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        main.get_by_role("button", name="Aktywuj konto").click()
    expect(page).to_have_url(re.compile(r"/panel$"))
    page.goto("/firmy/dodaj")
    main.get_by_label("NIP lub numer VAT UE", exact=True).fill("525-000-10-03")
    main.get_by_role("button", name="Zatwierdź").click()
    expect(page).to_have_url(re.compile(r"/dane$"))
    expect(main.locator("h1")).to_have_text("Sprawdź dane firmy")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.screenshot(path=str(OUT / "company-preview.png"), full_page=True)

    # Add it (steps 2 and 3), then its page as a phone shows it: the top bar folded into "Menu".
    page.goto(main.get_by_role("link", name="Przejdź dalej").get_attribute("href"))
    main.get_by_label("Oświadczam", exact=False).check()
    main.get_by_role("button", name="Dodaj firmę").click()
    expect(page).to_have_url(re.compile(r"/firmy/\d+$"))
    expect(page.locator("body")).to_contain_text("została dodana")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.screenshot(path=str(OUT / "company-phone.png"))


if __name__ == "__main__":
    main()
