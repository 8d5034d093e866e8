"""Desktop programs in a real browser (issue 13): the reference program (examples/konto_program.py,
run as a program of its own, over HTTP) connects while a person in chromium logs in, types its
code and decides; staff accept its licence registration in the back office; the program sees it
accepted and checks the signed licence file. JavaScript on and off, axe on every page."""

import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from konto import clock
from tests.e2e.helpers import NAME
from tests.e2e.helpers import company_with
from tests.e2e.helpers import create_user
from tests.e2e.helpers import into_back_office
from tests.e2e.helpers import issued
from tests.e2e.helpers import staff_account
from tests.program_helpers import after

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
MACHINE = "KASA-E2E"
CODE_LINE = re.compile(r"wpisz kod: ([A-Z]{4}-[A-Z]{4})$")
WAIT_S = 60  # at most, for the program to get somewhere (it polls every second)


@pytest.fixture(autouse=True)
def _quick_polls(live_server):
    live_server.app.config["PROGRAM_POLL_INTERVAL"] = 1  # the program waits this long between polls
    yield
    clock.travel(None)


class ReferenceProgram:
    """examples/konto_program.py run as a process of its own, its output read line by line."""

    def __init__(self, server, state_file, *args):
        command = [sys.executable, str(ROOT / "examples" / "konto_program.py"), "--server", server.url,
                   "--state", str(state_file), "--machine", MACHINE, "--poll", "0.3", "--timeout", "600",
                   *args]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, encoding="utf-8")
        self.lines = []
        self._queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern):
        """The first line (from now on) matching pattern; fails if the program ends or takes too long."""
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the program did not print {pattern!r} in time:\n" + "\n".join(self.lines))
            if line is None:
                pytest.fail(f"the program ended before printing {pattern!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def code(self):
        return self.wait_for(CODE_LINE).group(1)

    def finish(self):
        """The exit code, once the program has ended; all it printed is in self.lines."""
        try:
            status = self.process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("the program did not end in time:\n" + "\n".join(self.lines))
        self._reader.join(timeout=WAIT_S)
        self.process.stdout.close()
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return status

    @property
    def output(self):
        return "\n".join(self.lines)

    def stop(self):
        """After a failed test: the program ends, its pipe is closed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=WAIT_S)
        self.process.stdout.close()


@pytest.fixture
def run(tmp_path):
    """Start the reference program with these arguments (one state file per test, as one
    installation keeps it); every program started is ended when the test ends."""
    started = []

    def start(server, *args):
        program = ReferenceProgram(server, tmp_path / "konto-program.json", *args)
        started.append(program)
        return program

    yield start
    for program in started:
        program.stop()


def anna_with_company(server):
    create_user(server, "anna@example.com")
    company_with(server, **{"anna@example.com": "admin"})


def type_code(person, code):
    """Połącz program: the code the program printed, then the page that says who asks."""
    person.goto("/polacz")
    expect(person.main.locator("h1")).to_have_text("Połącz program z Kontem")
    person.fill("Kod z programu", code.lower().replace("-", ""))  # case and dash do not matter
    person.submit_redirect(person.button("Dalej"))
    expect(person.main.locator("h1")).to_have_text("Czy to Twój program?")
    expect(person.main.locator(".device-code")).to_have_text(code)
    expect(person.main).to_contain_text(MACHINE)
    expect(person.main).to_contain_text("Nikt — ani Obsługa, ani dostawca programu")


def connect(person, code):
    type_code(person, code)
    person.main.get_by_label(re.compile(re.escape(NAME))).check()
    person.submit_redirect(person.button("Połącz"))
    expect(person.main.locator("h1")).to_have_text("Program połączony")


def test_the_program_connects_registers_a_licence_staff_accept_it_and_it_checks_the_file(people, run):
    anna, ola = people(), people()
    staff_account(ola.server)
    anna_with_company(anna.server)
    licence = issued(ola.server)
    program = run(anna.server, "demo", "--licence", licence.number)
    code = program.code()

    anna.log_in("anna@example.com")
    connect(anna, code)
    program.wait_for("Połączono z Kontem.")
    program.wait_for(re.escape(NAME) + r".*administrator")
    program.wait_for("Stan rejestracji: pending")

    into_back_office(ola)
    ola.goto("/obsluga/rejestracje")
    expect(ola.main).to_contain_text(MACHINE)
    ola.submit_redirect(ola.main.get_by_role("button", name=f"Przyjmij {MACHINE}"))
    expect(ola.main).to_contain_text("Kolejka jest pusta.")

    assert program.finish() == 0, program.output
    output = program.output
    assert "Stan rejestracji: active" in output
    assert "Licencja przyjęta i potwierdzona podpisem" in output
    assert "Plik licencji jest ważny (podpis Konta" in output and f"na komputerze {MACHINE}" in output
    assert output.endswith("Stanowisko zwolnione.")

    anna.goto("/konto/programy")
    row = anna.main.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(MACHINE)
    expect(row).to_contain_text(NAME)


def test_odrzuc_and_the_program_is_told_it_was_denied(person, run):
    anna_with_company(person.server)
    program = run(person.server, "login")
    code = program.code()
    person.log_in("anna@example.com")
    type_code(person, code)
    person.submit_redirect(person.button("Odrzuć"))
    expect(person.main.locator("h1")).to_have_text("Prośba odrzucona")
    assert program.finish() == 2, program.output  # EXIT_DENIED
    assert program.output.endswith("Połączenie odrzucone w Koncie.")
    person.goto("/konto/programy")
    expect(person.main).to_contain_text("Żaden program nie jest połączony z Twoim kontem.")


def test_a_code_typed_too_late_connects_nothing_and_the_program_is_told_it_expired(person, run):
    anna_with_company(person.server)
    program = run(person.server, "login")
    code = program.code()
    person.log_in("anna@example.com")
    after(person.server.app.config["PROGRAM_CODE_LIFETIME"] + 1)
    person.goto("/polacz")
    person.fill("Kod z programu", code)
    person.swap(person.button("Dalej"))
    expect(person.main.locator("#code-error")).to_contain_text("Nie ma takiego kodu albo już wygasł")
    expect(person.main.get_by_label("Kod z programu")).to_have_attribute("aria-invalid", "true")
    assert program.finish() == 3, program.output  # EXIT_EXPIRED
    assert program.output.endswith("Kod wygasł. Uruchom łączenie jeszcze raz.")


def test_rozlacz_and_the_programs_next_call_is_refused(person, run):
    anna_with_company(person.server)
    login = run(person.server, "login")
    code = login.code()
    person.log_in("anna@example.com")
    connect(person, code)
    assert login.finish() == 0, login.output
    listed = run(person.server, "companies")
    assert listed.finish() == 0 and NAME in listed.output, listed.output

    person.goto("/konto/programy")
    person.submit_redirect(person.main.get_by_role("button", name=re.compile(r"^Rozłącz")))
    expect(person.main).to_contain_text("Program został rozłączony.")
    expect(person.main).to_contain_text("Żaden program nie jest połączony z Twoim kontem.")

    refused = run(person.server, "companies")
    assert refused.finish() == 1, refused.output
    assert "Połączenie z Kontem wygasło albo zostało zakończone" in refused.output
    assert NAME not in refused.output
