"""No password and no link token ever reaches a log."""

import logging
import re

from konto import tokens
from tests.helpers import PASSWORD
from tests.helpers import link_in
from tests.helpers import mails_to


def test_a_full_journey_logs_no_password_and_no_token(app, client, journey, capfd, caplog):
    caplog.set_level(logging.INFO)  # the level the app runs at (peewee's DEBUG query log is off)
    journey.register()
    activation = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    client.get(activation)
    client.post(activation, data={"password": PASSWORD})
    journey.login(password="zle-haslo-calkiem-inne")
    journey.login()
    client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    reset = link_in(mails_to("anna@example.com")[0], "/haslo/nowe/")
    new_password = "nowe-haslo-do-konta-2026"
    client.get(reset)
    client.post(reset, data={"password": new_password, "password_repeat": new_password})
    journey.login(password=new_password)

    tokens = [activation.rsplit("/", 1)[1], reset.rsplit("/", 1)[1]]
    captured = capfd.readouterr()
    logs = captured.out + captured.err + "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "/aktywacja/<token>" in logs and "/haslo/nowe/<token>" in logs  # logged, without the token
    for secret in [PASSWORD, new_password, "zle-haslo-calkiem-inne", *tokens]:
        assert secret not in logs, f"{secret[:8]}… found in the logs"
    assert not re.search(r"\$argon2id\$", logs)


def test_an_error_on_a_link_route_logs_the_route_not_the_token(app, client, journey, capfd, caplog, monkeypatch):
    """Issue 10, item 9: Flask's own "Exception on <path>" line carried the token."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered with the 500 page, as in production
    journey.register()
    activation = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    token = activation.rsplit("/", 1)[1]

    def broken(purpose, value):
        raise RuntimeError(f"the database went away while checking {value}")

    monkeypatch.setattr(tokens, "check_token", broken)
    caplog.set_level(logging.INFO)
    assert client.get(activation).status_code == 500
    captured = capfd.readouterr()
    logs = captured.out + captured.err + "\n".join(
        r.getMessage() + (r.exc_text or "") + str(r.__dict__) for r in caplog.records)
    assert "Exception on /aktywacja/<token> [GET]" in logs and "RuntimeError" in logs
    assert token not in logs
