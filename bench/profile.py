"""`python -m bench.profile`: Konto's pages profiled in-process against the floor, rate limits on.

Run from the repository root:

    .venv/bin/python -m bench.profile [--n 300] [--only dashboard preview] [--top dashboard --lines 60]
                                      [--sort cumtime]

It seeds a temporary SQLite database (bench/seed.py), logs the bench user in through the Flask
test client with the bench's User-Agent, starts a draft company (for the preview partial), and
prints per page:

* Python calls per request, counted with cProfile over 50 requests: deterministic, it does not
  move with the machine's load, so it is the number to compare between commits (the test
  client's own ~600 calls are in every figure);
* CPU µs per request (process_time over N requests, median of 3): noisy (±20 % between runs),
  compare only within one run;

each also against the floor (bench/floor.py, the minimal logged-in page). With --top PAGE, the
top functions of that page by self time (or --sort cumtime).

Under gunicorn each request also pays ~0.5 ms of server cost that the floor pays too: a page at
≤ ~1.3× the floor's in-process CPU is about 0.85× the floor under wrk (`python -m bench`).
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

AGENT = "Mozilla/5.0 (X11; Linux x86_64) konto-bench/1"
SETTINGS = {
    "SECRET_KEY": "prof",
    "KONTO_REGISTRY": "demo",
    "KONTO_DEMO": "1",
    "RATELIMIT_ENABLED": "1",
    "RATELIMIT_LOGIN_IP": "1000000/minute",
    "RATELIMIT_LOGIN_ACCOUNT": "1000000/minute",
    "KONTO_MAX_REQUESTS": "0",
}


def _token(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def pages(db):
    """(name, client, url, headers) for every measured page, the anchors first."""
    # The environment must be set before konto is imported (its settings are read at import).
    from bench.seed import BENCH_EMAIL  # noqa: PLC0415 - after the environment is set
    from bench.seed import BENCH_PASSWORD  # noqa: PLC0415 - after the environment is set
    from bench.seed import seed  # noqa: PLC0415 - after the environment is set
    from konto import create_app  # noqa: PLC0415 - after the environment is set
    from konto.db import database  # noqa: PLC0415 - after the environment is set

    config = {"DATABASE_URL": os.environ["DATABASE_URL"], "SECRET_KEY": "prof", "KONTO_DEMO": True, "TESTING": False}
    app = create_app(config)
    with app.app_context(), database.connection_context():
        seeded = seed(4000, 6000)
    database.close()
    app = create_app({**config, "RATELIMIT_ENABLED": True})
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = AGENT
    login = {"csrf_token": _token(client.get("/logowanie").text), "email": BENCH_EMAIL, "password": BENCH_PASSWORD}
    response = client.post("/logowanie", data=login)
    assert response.status_code == 303, response.status_code
    draft = {"csrf_token": _token(client.get("/firmy/dodaj").text), "number": "5250001003"}
    response = client.post("/firmy/dodaj", data=draft)
    assert response.status_code == 303, response.status_code
    preview = response.headers["Location"]
    company = seeded["companies"][0]

    import bench.floor as floor  # noqa: PLC0415 - after the environment is set
    import bench.hello as hello  # noqa: PLC0415 - after the environment is set

    floor.database.init(str(db))
    floor_client = floor.app.test_client()
    floor_client.environ_base["HTTP_USER_AGENT"] = AGENT
    assert floor_client.get("/wejdz").status_code == 302
    anonymous = app.test_client()
    anonymous.environ_base["HTTP_USER_AGENT"] = AGENT
    return [
        ("hello", hello.app.test_client(), "/", {}),
        ("floor", floor_client, "/", {}),
        ("login page", anonymous, "/logowanie", {}),
        ("dashboard", client, "/panel", {}),
        ("preview", client, preview, {"HX-Request": "true"}),
        ("company", client, f"/firmy/{company}", {}),
        ("licencje", client, f"/firmy/{company}/licencje", {}),
        ("uzytkownicy", client, f"/firmy/{company}/uzytkownicy", {}),
    ]


def measure(client, url, headers, name, n):
    """(calls per request, CPU µs per request, the pstats of 50 requests)."""
    for _ in range(30):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (name, response.status_code)
        # A logged-in page that re-issues the session cookie measures the wrong thing.
        assert "Set-Cookie" not in response.headers or name == "login page", (name, response.headers["Set-Cookie"])
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(50):
        client.get(url, headers=headers)
    profile.disable()
    stats = pstats.Stats(profile, stream=io.StringIO())
    times = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            client.get(url, headers=headers)
        times.append((time.process_time() - started) / n * 1e6)
    return stats.total_calls / 50, statistics.median(times), stats


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="requests per CPU-time round (3 rounds)")
    parser.add_argument("--top", nargs="?", const="dashboard", help="print the top functions of this page")
    parser.add_argument("--only", nargs="*", help="only these pages (the floor is always measured)")
    parser.add_argument("--lines", type=int, default=45, help="how many functions --top prints")
    parser.add_argument("--sort", default="tottime", help="pstats sort key for --top (tottime, cumtime…)")
    args = parser.parse_args(argv)

    sys.path.insert(0, os.getcwd())
    work = Path(tempfile.mkdtemp(prefix="konto-prof-"))
    db = work / "p.sqlite3"
    os.environ.update({**SETTINGS, "DATABASE_URL": f"sqlite:///{db}"})
    results = {}
    for name, client, url, headers in pages(db):
        if args.only and name not in args.only and name != "floor":
            continue
        results[name] = measure(client, url, headers, name, args.n)
    floor_calls, floor_us, _ = results["floor"]
    print(f"{'page':14} {'calls':>7} {'×floor':>7} {'cpu µs':>8} {'floor/page':>10}")
    for name, (calls, us, _) in results.items():
        print(f"{name:14} {calls:7.0f} {calls / floor_calls:7.2f} {us:8.0f} {floor_us / us:10.2f}")
    if args.top:
        stats = results[args.top][2]
        stats.stream = sys.stdout
        stats.sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
