"""Response time tells nothing about whether an address has an account (login, register, reset).

Real argon2 parameters (argon2-cffi's defaults), interleaved tries, the fastest of each kind
compared (other processes on a busy machine only ever add time, so the fastest try is the one
least disturbed; medians moved by a quarter of a hash when two suites ran at once). The
tolerance is half of one password hash: an app that skipped the hash for unknown addresses
(or hashed twice for them) would differ by a whole hash and fail.
"""

import statistics
import time

import pytest

from konto import create_app
from konto import passwords
from konto.db import database
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import make_config

pytestmark = pytest.mark.slow  # real argon2 hashes, many times over

TRIES = 9
WRONG = "zle-haslo-calkiem-inne"


def timed(action):
    start = time.perf_counter()
    response = action()
    return time.perf_counter() - start, response


def fastest(app, existing, unknown):
    """The fastest seconds of existing() and of unknown(), run alternately after a warm-up."""
    for action in (existing, unknown):
        action()
    times = {"existing": [], "unknown": []}
    statuses = {"existing": set(), "unknown": set()}
    for _ in range(TRIES):
        for name, action in (("existing", existing), ("unknown", unknown)):
            seconds, response = timed(action)
            times[name].append(seconds)
            statuses[name].add(response.status_code)
    assert statuses["existing"] == statuses["unknown"], statuses
    return min(times["existing"]), min(times["unknown"])


def test_existing_and_unknown_addresses_take_the_same_time(tmp_path):
    app = create_app(make_config(tmp_path, PASSWORD_HASH_PARAMS=None, RATELIMIT_ENABLED=False))
    with app.app_context():
        assert passwords.hasher().time_cost >= 3  # the real parameters, not the tests' cheap ones
        hash_ = passwords.hash_password(PASSWORD)
        one_hash = statistics.median(timed(lambda: passwords.verify_password(hash_, WRONG))[0] for _ in range(5))
    tolerance = one_hash / 2
    Journey(app.test_client()).signed_up(email="anna@example.com")
    client = app.test_client()
    counter = iter(range(10_000))

    results = {
        "login": fastest(
            app,
            lambda: client.post("/logowanie", data={"email": "anna@example.com", "password": WRONG}),
            lambda: client.post("/logowanie", data={"email": "nikt@example.com", "password": WRONG}),
        ),
        "register": fastest(
            app,
            lambda: Journey(client).register(email="anna@example.com"),
            lambda: Journey(client).register(email=f"nowy{next(counter)}@example.com"),
        ),
        "reset": fastest(
            app,
            lambda: client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"}),
            lambda: client.post("/haslo/nie-pamietam", data={"email": "nikt@example.com"}),
        ),
    }
    report = {name: (round(a * 1000, 1), round(b * 1000, 1)) for name, (a, b) in results.items()}
    print(f"one hash {one_hash * 1000:.1f} ms, tolerance {tolerance * 1000:.1f} ms, "
          f"fastest (existing, unknown) ms: {report}")
    for name, (existing, unknown) in results.items():
        assert abs(existing - unknown) < tolerance, (name, report, tolerance)
    database.close()
