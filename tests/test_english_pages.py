"""Every page in English, with no Polish left: a walk over every GET route of the app (a route
added later is walked too), as an English-speaking customer and as English-speaking staff,
and the e-mails they got. Polish is found by its letters (ą ć ę ł ń ó ś ź ż) and by a list of
common Polish words; what people typed, what registries say and the products' names are data,
and text marked lang="pl" (the switch's "Polski") is Polish on purpose."""

import html
import re

from konto import create_app
from konto.db import database
from konto.flows import invitations
from konto.flows import members
from konto.models import Company
from konto.models import Edition
from konto.models import Email
from konto.models import Invitation
from konto.models import Membership
from konto.models import Product
from konto.models import Service
from konto.models import User
from konto.registry import demo
from tests.helpers import Journey
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import make_config
from tests.licence_helpers import COMPANY
from tests.licence_helpers import licence_objects
from tests.licence_helpers import make_staff

POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
POLISH_WORDS = set("""
się jest nie oraz albo lub dla przez jeszcze już które który która twoje twój twoja twoim firma firmy
firmę firm konta kontem hasło hasła zaloguj wyloguj dodaj usuń zapisz anuluj wróć dalej strona brak tylko
może możesz będzie został została zostało wszystkie licencja licencje licencji usługi usługa obsługa
użytkownik użytkownicy regulamin polityka prywatności zgoda zgody ustawienia kod kody klucz klucze wniosek
wnioski sprzeciw rejestr rejestru dane danych numer adres aktywne aktywna aktywny weryfikacja dwuetapowa
pobierz wyślij potwierdź zmień włącz wyłącz od na po przy jako aby żeby czy ta tej tego
sesje sesja wersja tak zobacz sprawdź poczta pocztę wiadomość linku ważny godzin dni minut
""".split())
# A registry's statuses and dates are shown in the page's language, not as the registry writes them.
NOT_DATA = {"vat_status", "status", "kind", "start_date", "end_date", "suspended_date", "language", "source"}
ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')


def text_of(page):
    """What a person reads (and hears) on a page: its text and labelling attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r'<(\w+)\b[^>]*\blang="pl"[^>]*>.*?</\1>', " ", page, flags=re.S)
    labels = " ".join(ATTRIBUTES.findall(page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + labels)


def polish_in(text, data):
    text = re.sub(r"https?://\S+", " ", text)  # links: their paths are Polish on purpose
    for value in sorted(data, key=len, reverse=True):
        text = re.sub(r"(?<!\w)" + re.escape(value) + r"(?!\w)", " ", text, flags=re.IGNORECASE)
    found = set(POLISH_LETTERS.findall(text))
    found |= {word for word in re.findall(r"[\w:]+", text.lower()) if word in POLISH_WORDS}
    return found


def data_strings():
    """Data shown as it is: people's and companies' details (as the registry gives them), the
    names of the catalogue's products and services, other people's e-mails' subjects."""
    values = {value for entity in demo.entities().values() for key, value in entity.get("data", {}).items()
              if isinstance(value, str) and len(value) > 2 and key not in NOT_DATA}
    with database.connection_context():
        for model in (Company, User):
            for row in model.select().dicts():
                values |= {v for k, v in row.items() if isinstance(v, str) and len(v) > 2 and k not in NOT_DATA}
        for model in (Product, Edition, Service):  # the names only: the texts are translated
            values |= {row.name for row in model.select(model.name)}
        # Other people's e-mails (the demo mailbox lists them all) are in their own language.
        values |= {row.subject for row in Email.select(Email.subject).where(Email.recipient != "anna@example.com")}
    return values


def test_every_page_in_english_has_no_polish_left(tmp_path):
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=False))
    try:
        anna = Journey(app.test_client())
        anna.client.set_cookie("konto_lang", "en")
        anna.signed_up()
        anna.add_company(COMPANY)
        draft = anna.client.post("/firmy/dodaj", data={"number": "PL6770002009"}).headers["Location"].split("/")[3]
        staff = make_staff(app)
        staff.client.post("/jezyk", data={"lang": "en"})
        # Bob (Polish) is a member of Anna's company, and invites her into his own.
        bob = Journey(app.test_client())
        bob.signed_up(email="bob@example.com")
        bob.add_company("PL6760003007")
        with app.test_request_context(), database.connection_context():
            bob_user = User.get(User.email == "bob@example.com")
            company_id = Company.get(Company.tax_id == COMPANY).id
            member_id = Membership.create(user=bob_user, company=company_id, contact_email=bob_user.email).id
            invitations.invite(bob_user, Company.get(Company.tax_id == "PL6760003007").id, "anna@example.com",
                               members.MEMBER)
            invitation_id = Invitation.get(Invitation.email == "anna@example.com").id
            message_id = Email.get(Email.recipient == "anna@example.com").id
        invitation_link = link_in(mails_to("anna@example.com")[0], "/zaproszenie/")
        values = {**licence_objects(company_id), "key": draft, "token": "x", "message_id": message_id,
                  "session_id": 1, "passkey_id": 1, "request_id": 1, "code": "ksef", "member_id": member_id,
                  "invitation_id": invitation_id, "registration_id": 1}
        data = data_strings()

        problems, walked = {}, 0
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            path = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
            person = staff if rule.rule.startswith("/obsluga") else anna
            response = person.client.get(path, follow_redirects=True)
            page = response.get_data(as_text=True)
            response.close()
            if response.mimetype != "text/html":
                continue
            assert '<html lang="en">' in page or response.status_code >= 400, path
            walked += 1
            found = polish_in(text_of(page), data)
            if found:
                problems[path] = sorted(found)
        for path in [invitation_link]:  # pages reached with a real token
            found = polish_in(text_of(anna.client.get(path, follow_redirects=True).get_data(as_text=True)), data)
            if found:
                problems[path] = sorted(found)
        missing = anna.client.get("/nie-ma-takiej-strony")
        assert missing.status_code == 404
        problems.update({"404": sorted(found)} if (found := polish_in(text_of(missing.data.decode()), data)) else {})
        with database.connection_context():
            for message in Email.select().where(Email.recipient == "anna@example.com"):
                found = polish_in(message.subject + " " + message.text_body + " " + text_of(message.html_body), data)
                if found:
                    problems[f"e-mail {message.subject}"] = sorted(found)
        assert walked > 40
        assert not problems, "\n".join(f"{where}: {words}" for where, words in problems.items())
    finally:
        database.close()


def test_the_detector_finds_polish_and_lets_data_and_marked_text_be():
    assert polish_in(text_of("<p>Zaloguj się</p>"), set()) == {"ę", "zaloguj", "się"}
    assert polish_in(text_of('<button aria-label="Usuń">x</button>'), set()) == {"ń", "usuń"}
    assert not polish_in(text_of('<p>Company: PRZYKŁADOWA</p><span lang="pl">Polski</span>'), {"PRZYKŁADOWA"})
    assert not polish_in(text_of("<p>Log in to your Konto</p>"), set())
