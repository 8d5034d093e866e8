"""Texts: link lifetimes said from the settings with Polish plural forms, messages marked for translation."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from flask_babel import LazyString

from konto import audit
from konto import create_app
from konto import taxid
from konto.db import database
from konto.texts import duration
from konto.web import KIND_LABELS
from tests.helpers import Journey
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import make_config

HOUR = 3600


@pytest.mark.parametrize(
    "seconds, words",
    [
        (HOUR, "godzinę"), (2 * HOUR, "2 godziny"), (5 * HOUR, "5 godzin"), (12 * HOUR, "12 godzin"),
        (21 * HOUR, "21 godzin"), (22 * HOUR, "22 godziny"), (24 * HOUR, "24 godziny"), (48 * HOUR, "48 godzin"),
        (3 * 24 * HOUR, "3 dni"), (14 * 24 * HOUR, "14 dni"), (60, "minutę"), (90 * 60, "90 minut"),
        (3 * 60, "3 minuty"), (30, "minutę"), (61, "2 minuty"),
    ],
)  # fmt: skip
def test_a_duration_in_polish_with_the_right_plural_form(app, seconds, words):
    with app.app_context():
        assert duration(seconds) == words


def test_links_say_how_long_they_live_from_the_settings(tmp_path):
    app = create_app(make_config(tmp_path, ACTIVATION_TOKEN_MAX_AGE=24 * HOUR, RESET_TOKEN_MAX_AGE=2 * HOUR))
    try:
        journey = Journey(app.test_client())
        checked = journey.client.get(journey.register().headers["Location"]).data.decode()
        assert "Link jest ważny 24 godziny." in checked
        [activation] = mails_to("anna@example.com")
        assert "(ważny 24 godziny)" in activation.text_body and "ważny 24 godziny." in activation.html_body
        journey.activate()
        journey.client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
        reset = mails_to("anna@example.com")[0]
        assert "(ważny 2 godziny, działa jeden raz)" in reset.text_body
        assert "ważny 2 godziny" in journey.client.get("/haslo/wyslano").data.decode()
        assert journey.client.get(link_in(reset, "/haslo/nowe/")).status_code == 200
    finally:
        database.close()


def test_the_default_lifetimes_read_as_before(app, client, journey):
    journey.register()
    assert "(ważny 48 godzin)" in mails_to("anna@example.com")[0].text_body
    journey.activate()
    client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    assert "(ważny godzinę, działa jeden raz)" in mails_to("anna@example.com")[0].text_body


def test_taxid_messages_are_marked_and_translated_where_shown():
    path = Path(taxid.__file__)
    extracted = extract_from_file("python", path, keywords={"N_": None})
    marked = {message for _line, message, _comments, _context in extracted}
    raised = path.read_text(encoding="utf-8").count("raise InvalidTaxId(")
    assert raised == 7 and marked == {*marked} and len(marked) == raised + 1  # and the EU number's label
    assert taxid.EU_VAT_LABEL in marked and taxid.display("DE136695976") == "numer VAT UE DE136695976"
    with pytest.raises(taxid.InvalidTaxId) as error:
        taxid.parse("XX123")
    assert error.value.message in marked and error.value.params == {"country": "XX"}
    assert str(error.value).startswith("„XX” nie jest kodem kraju")


def test_labels_shown_to_people_are_translated_when_shown():
    for label in [*audit.EVENTS.values(), *KIND_LABELS.values()]:
        assert isinstance(label, LazyString), label
