"""`python -m bench`: the app under gunicorn beside two anchors, loaded with wrk, alternating.

The anchors: a bare Flask hello (bench/hello.py, the framework's ceiling) and the minimal
logged-in page (bench/floor.py: Flask, a cookie session, Flask-Login, one SQLite row, a Jinja
page; the floor of this stack). Every page is reported × each.

1. A fresh SQLite database in a temporary folder, migrated and seeded (bench/seed.py).
2. Cold start, for the app and for hello: gunicorn launched -> first answered request (median of 3),
   as a deployment starts again: Python's bytecode and the compiled templates written by an earlier
   start (an uncounted first start writes them, in the bench's folder: PYTHONPYCACHEPREFIX,
   TEMPLATE_CACHE_DIR); and, for the app, as in the earlier runs of this benchmark, with konto's
   own sources compiled at every start (PYTHONDONTWRITEBYTECODE=1; the libraries' bytecode that
   pip wrote is read).
3. All three served at once with the same settings (gunicorn.conf.py: sync workers, no control
   socket, preloaded app; --workers 2 here), each on its own 127.0.0.1 port. In each round,
   hello, the floor, then each page, `wrk -t2 -c32 -d<seconds>s --latency`; medians over the
   rounds. Every request carries the User-Agent the log-in had, as a browser's do (Flask-Login's
   session protection would otherwise take each one for a stolen cookie and re-issue it).
   Rate limits on, as in production (only the log-in limits are raised, so the failed log-ins
   below measure the hash, not 429s).
4. Peak RSS (VmHWM) per worker after the pages; then the failed log-in (argon2id verify),
   then peak RSS again.
5. bench/results.md: the table, the machine and versions. Text below the NOTES marker in an
   existing results.md is kept.

Between runs of this benchmark (which needs a quiet machine), the Python calls per request are
counted in-process with `python -m bench.profile` (bench/profile.py: cProfile over the Flask test
client, deterministic, each page against the floor; --top PAGE for where its time goes).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import requests

from bench.seed import BENCH_EMAIL
from bench.seed import BENCH_PASSWORD
from bench.seed import seed
from konto import create_app
from konto.db import database

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results.md"
NOTES_MARKER = "<!-- notes: everything below this line is written by hand and kept by `python -m bench` -->"
# The browser's User-Agent: sent by the log-in and by every measured request.
AGENT = "Mozilla/5.0 (X11; Linux x86_64) konto-bench/1"
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving an app on 127.0.0.1; knows its workers' pids."""

    def __init__(self, app, env, workers, probe="/"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app, self.env, self.workers, self.probe = app, env, workers, probe

    def start(self, bytecode=True):
        """Launch; return seconds from launch to the first answered request.

        bytecode: Python writes and reads its bytecode in the bench's folder (as deployed); else
        konto's sources are compiled at the start, nothing written (PYTHONDONTWRITEBYTECODE=1)."""
        env = {**os.environ, **self.env, "WEB_CONCURRENCY": str(self.workers), "KONTO_BIND": f"127.0.0.1:{self.port}"}
        if bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env.pop("PYTHONPYCACHEPREFIX")
        self.log = open(self.env["BENCH_LOG"], "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(GUNICORN + [self.app], cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = started + 30
        while time.perf_counter() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(f"GET {self.probe} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
                    if sock.recv(16).startswith(b"HTTP/1"):
                        return time.perf_counter() - started
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn for {self.app} exited; see {self.env['BENCH_LOG']}")
            time.sleep(0.002)
        raise RuntimeError(f"gunicorn for {self.app} did not answer in 30 s")

    def worker_pids(self):
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def peak_rss_mib(self):
        """VmHWM (peak resident set) of each worker, MiB."""
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
        return peaks

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def wrk(url, seconds, connections=32, threads=2, headers=(), method=None, body=None, timeout=10):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", f"--timeout={timeout}s",
               "-s", str(BENCH / "report.lua")]
    for header in headers:
        command += ["-H", header]
    env = {**os.environ, "BENCH_METHOD": method or "", "BENCH_BODY": body or ""}
    output = subprocess.run(command + [url], env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = result["connect"] + result["read"] + result["write"] + result["timeout"]
    return result


def csrf_token(html):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def prepare_session(base):
    """Log the benchmark user in over HTTP and start a company wizard (a draft, registry cached)."""
    http = requests.Session()
    http.headers["User-Agent"] = AGENT
    page = http.get(base + "/logowanie")
    response = http.post(base + "/logowanie", data={"csrf_token": csrf_token(page.text), "email": BENCH_EMAIL,
                                                    "password": BENCH_PASSWORD}, allow_redirects=False)
    assert response.status_code == 303, response.status_code
    page = http.get(base + "/firmy/dodaj")
    response = http.post(base + "/firmy/dodaj", data={"csrf_token": csrf_token(page.text), "number": "5250001003"},
                         allow_redirects=False)
    assert response.status_code == 303, (response.status_code, response.text[:500])
    preview = urllib.parse.urlsplit(response.headers["Location"]).path
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)

    anonymous = requests.Session()
    anonymous.headers["User-Agent"] = AGENT
    page = anonymous.get(base + "/logowanie")
    failed_body = urllib.parse.urlencode({"csrf_token": csrf_token(page.text), "email": BENCH_EMAIL,
                                          "password": "not-the-password-at-all"})
    anon_cookie = "; ".join(f"{c.name}={c.value}" for c in anonymous.cookies)
    return {"cookie": cookie, "preview": preview, "failed_body": failed_body, "anon_cookie": anon_cookie}


def floor_cookie(base):
    """The floor's session cookie (bench/floor.py logs the benchmark's account in)."""
    http = requests.Session()
    http.headers["User-Agent"] = AGENT
    response = http.get(base + "/wejdz", allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def status_of(url, headers, method="GET", body=None):
    hdrs = dict(h.split(": ", 1) for h in headers)
    if body:
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    response = requests.request(method, url, headers=hdrs, data=body, allow_redirects=False)
    return response.status_code, len(response.content)


def versions():
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024
    packages = ", ".join(f"{name} {version(name)}" for name in ("Flask", "peewee", "gunicorn", "argon2-cffi", "Jinja2"))
    return {
        "machine": f"{os.cpu_count()} cores, {cpu}, {mem} MiB RAM, Linux {platform.release()}",
        "software": f"Python {platform.python_version()}, {packages}, SQLite {sqlite3.sqlite_version}, {wrk_version}",
    }


def median_run(runs):
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run (10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported (3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers for both apps (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--login-connections", type=int, default=4, help="wrk connections for the failed log-in (4)")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=15_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench` installs it (apt-get install wrk).")

    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="konto-bench-"))
    db_path = work / "bench.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": "benchmark-secret-key-not-for-production",
        "KONTO_REGISTRY": "demo",
        "KONTO_DEMO": "1",
        "BENCH_LOG": str(work / "gunicorn.log"),
        # Where a deployment keeps its bytecode and compiled templates (Server.start).
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
        "TEMPLATE_CACHE_DIR": str(work / "templates"),
        "KONTO_MAX_REQUESTS": "0",
        # Rate limits on, as in production; the log-in limits would answer 429 after 5 failures,
        # and the bench measures the hash: those two are raised.
        "RATELIMIT_ENABLED": "1",
        "RATELIMIT_LOGIN_IP": "1000000/minute",
        "RATELIMIT_LOGIN_ACCOUNT": "1000000/minute",
    }
    try:
        print(f"seeding {args.accounts} accounts, {args.companies} companies into {db_path} …", flush=True)
        started = time.perf_counter()
        app = create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"], "KONTO_DEMO": True,
                          "TESTING": False})

        with app.app_context(), database.connection_context():
            seeded = seed(args.accounts, args.companies)
        database.close()
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)

        konto = Server("wsgi:app", env, args.workers, probe="/logowanie")
        hello = Server("bench.hello:app", env, args.workers, probe="/")
        floor = Server("bench.floor:app", env, args.workers, probe="/wejdz")
        cold = {"app": [], "hello": [], "app from source": []}
        for server in (hello, konto):  # uncounted: writes the bytecode and the templates' cache
            server.start()
            server.stop()
        for _ in range(3):
            for name, server, bytecode in (("hello", hello, True), ("app", konto, True),
                                           ("app from source", konto, False)):
                cold[name].append(server.start(bytecode))
                server.stop()
        print("cold start: " + ", ".join(f"{name} {statistics.median(times) * 1000:.0f} ms"
                                         for name, times in cold.items()), flush=True)

        konto.start()
        hello.start()
        floor.start()
        state = prepare_session(konto.url)
        floor_auth = [f"Cookie: {floor_cookie(floor.url)}", f"User-Agent: {AGENT}"]
        # That log-in hashed a password in one worker: restart, so "after the pages" is pages only.
        konto.stop()
        konto.start()
        auth = [f"Cookie: {state['cookie']}", f"User-Agent: {AGENT}"]
        company = seeded["companies"][0]
        pages = [
            ("login page", "GET /logowanie", konto.url + "/logowanie", [f"User-Agent: {AGENT}"]),
            ("dashboard (company in the top bar)", "GET /panel", konto.url + "/panel", auth),
            ("registry preview partial, cached (htmx)", f"GET {state['preview']} HX-Request",
             konto.url + state["preview"], auth + ["HX-Request: true"]),
            ("company page", f"GET /firmy/{company}", konto.url + f"/firmy/{company}", auth),
            ("Licencje (the company's licences)", f"GET /firmy/{company}/licencje",
             konto.url + f"/firmy/{company}/licencje", auth),
            ("Użytkownicy (the company's users)", f"GET /firmy/{company}/uzytkownicy",
             konto.url + f"/firmy/{company}/uzytkownicy", auth),
        ]
        statuses = {label: status_of(url, headers) for label, _, url, headers in pages}
        statuses["floor"] = status_of(floor.url + "/", floor_auth)
        for label, (status, size) in statuses.items():
            print(f"  {label}: HTTP {status}, {size} bytes", flush=True)
            assert status == 200, (label, status)
        for label, _, url, headers in pages[1:]:  # a logged-in request must not re-issue the session
            cookie = requests.get(url, headers=dict(h.split(": ", 1) for h in headers)).headers.get("Set-Cookie")
            assert cookie is None, (label, cookie)

        # Warm-up: templates compiled, caches filled, in both apps.
        wrk(hello.url + "/", 2, args.connections)
        wrk(floor.url + "/", 2, args.connections, headers=floor_auth)
        for _, _, url, headers in pages:
            wrk(url, 1, args.connections, headers=headers)

        runs = {"hello": [], "floor": []} | {label: [] for label, *_ in pages}
        for round_number in range(args.rounds):
            runs["hello"].append(wrk(hello.url + "/", args.seconds, args.connections))
            print(f"round {round_number + 1}: hello {runs['hello'][-1]['rps']:.0f} req/s", flush=True)
            runs["floor"].append(wrk(floor.url + "/", args.seconds, args.connections, headers=floor_auth))
            print(f"round {round_number + 1}: floor {runs['floor'][-1]['rps']:.0f} req/s", flush=True)
            for label, _, url, headers in pages:
                runs[label].append(wrk(url, args.seconds, args.connections, headers=headers))
                print(f"round {round_number + 1}: {label} {runs[label][-1]['rps']:.0f} req/s", flush=True)
        rss_pages = konto.peak_rss_mib()
        rss_hello = hello.peak_rss_mib()
        floor.stop()

        login_headers = [f"Cookie: {state['anon_cookie']}"]
        login_status = status_of(konto.url + "/logowanie", login_headers, "POST", state["failed_body"])
        print(f"  failed log-in: HTTP {login_status[0]}", flush=True)
        login_runs = []
        for round_number in range(args.rounds):
            login_runs.append(wrk(konto.url + "/logowanie", args.seconds, args.login_connections,
                                  headers=login_headers, method="POST", body=state["failed_body"], timeout=30))
            print(f"round {round_number + 1}: failed log-in {login_runs[-1]['rps']:.1f} req/s", flush=True)
        login32 = wrk(konto.url + "/logowanie", args.seconds, args.connections, headers=login_headers,
                      method="POST", body=state["failed_body"], timeout=30)
        rss_login = konto.peak_rss_mib()
        konto.stop()
        hello.stop()
    finally:
        for server in ("konto", "hello", "floor"):
            proc = getattr(locals().get(server), "proc", None)
            if proc is not None and proc.poll() is None:
                proc.kill()
        log = work / "gunicorn.log"
        if sys.exc_info()[0] is not None and log.exists():
            print("gunicorn's log:\n" + log.read_text()[-5000:], file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)

    args.load = (load_before, os.getloadavg()[0])
    write_results(args, pages, statuses, runs, login_runs, login32, login_status, cold,
                  rss_pages, rss_hello, rss_login)


def ms(us):
    return f"{us / 1000:.1f}"


def spread(run):
    """p99 over p50 ("–" when a run completed no request)."""
    return f"{run['p99_us'] / run['p50_us']:.2f}" if run["p50_us"] else "–"


def paired_ratio(runs, label, anchor):
    """The median over rounds of the page's req/s over the anchor's in the same round."""
    return statistics.median(page["rps"] / base["rps"] for page, base in zip(runs[label], runs[anchor], strict=True))


def write_results(args, pages, statuses, runs, login_runs, login32, login_status, cold,
                  rss_pages, rss_hello, rss_login):
    hello = median_run(runs["hello"])
    floor = median_run(runs["floor"])
    info = versions()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"* Machine: {info['machine']}",
        f"* Software: {info['software']}",
        f"* Server: gunicorn with `gunicorn.conf.py` (sync workers, `control_socket_disable`, preloaded app), "
        f"`--workers {args.workers}`, for the app and for both anchors alike",
        "* Anchors: bare Flask hello (`bench/hello.py`), and the floor, the minimal logged-in page "
        "(`bench/floor.py`: Flask, cookie session, Flask-Login, one SQLite row by primary key, a Jinja page "
        "of the dashboard's size)",
        f"* Load: `wrk -t2 -c{args.connections} -d{args.seconds}s --latency`, {args.rounds} alternating rounds "
        f"(hello, the floor, then each page), every request with the log-in's User-Agent; the median round by "
        f"req/s is shown; each ratio is the median over the rounds of the page's req/s over the anchor's in the "
        f"same round",
        f"* Data: fresh SQLite database (WAL), {args.accounts:,} accounts, {args.companies:,} companies "
        f"with memberships, consents, e-mails, audit events and sessions",
        "* Rate limits on, as in production (`RATELIMIT_ENABLED=1`, counted in the app's database); only "
        "the two log-in limits are raised (`RATELIMIT_LOGIN_IP`, `RATELIMIT_LOGIN_ACCOUNT`) so that the failed "
        "log-ins measure the hash, not 429s",
        f"* Load average (1 min) before / after the run: "
        f"{args.load[0]:.2f} / {args.load[1]:.2f} (anything above ~0.5 means other work shared the cores)",
        "",
        "| what | request | status, size | req/s | p50 ms | p99 ms | p99/p50 | × bare Flask | × floor | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| bare Flask hello | `GET /` | 200 | {hello['rps']:,.0f} | {ms(hello['p50_us'])} | {ms(hello['p99_us'])} "
        f"| {spread(hello)} | 1.00 | | {hello['errors']} |",
        f"| floor: minimal logged-in page | `GET /` (bench/floor.py) | {statuses['floor'][0]}, "
        f"{statuses['floor'][1]:,} B | {floor['rps']:,.0f} | {ms(floor['p50_us'])} | {ms(floor['p99_us'])} "
        f"| {spread(floor)} | {paired_ratio(runs, 'floor', 'hello'):.2f} | 1.00 "
        f"| {floor['errors'] + floor['non_2xx_3xx']} |",
    ]
    for label, request, _, _ in pages:
        run = median_run(runs[label])
        status, size = statuses[label]
        lines.append(
            f"| {label} | `{request}` | {status}, {size:,} B | {run['rps']:,.0f} | {ms(run['p50_us'])} | "
            f"{ms(run['p99_us'])} | {spread(run)} | {paired_ratio(runs, label, 'hello'):.2f} "
            f"| **{paired_ratio(runs, label, 'floor'):.2f}** | {run['errors'] + run['non_2xx_3xx']} |"
        )
    login = median_run(login_runs)
    for connections, run in ((args.login_connections, login), (args.connections, login32)):
        lines.append(
            f"| failed log-in, {connections} connections | `POST /logowanie` (CSRF ok, wrong password) "
            f"| {login_status[0]} | {run['rps']:,.1f} | {ms(run['p50_us'])} | {ms(run['p99_us'])} "
            f"| {spread(run)} | {run['rps'] / hello['rps']:.4f} | | {run['errors']} |"
        )
    all_rps = {label: [round(r["rps"]) for r in runs[label]] for label in runs}
    lines += [
        "",
        "| process | figure |",
        "|---|---|",
        f"| cold start, app (gunicorn launched → first answered request, median of 3; bytecode and "
        f"templates compiled by an earlier start, as a deployment restarts) | "
        f"**{statistics.median(cold['app']) * 1000:.0f} ms** ({', '.join(f'{c * 1000:.0f}' for c in cold['app'])}) |",
        f"| cold start, app, konto's sources compiled at the start (`PYTHONDONTWRITEBYTECODE=1`, as in this "
        f"benchmark's runs before 2026-12-03) | {statistics.median(cold['app from source']) * 1000:.0f} ms "
        f"({', '.join(f'{c * 1000:.0f}' for c in cold['app from source'])}) |",
        f"| cold start, bare Flask hello | {statistics.median(cold['hello']) * 1000:.0f} ms |",
        f"| peak RSS (VmHWM) per app worker after the pages | **{', '.join(f'{r:.1f}' for r in rss_pages)} MiB** |",
        f"| peak RSS per app worker after the failed log-ins | **{', '.join(f'{r:.1f}' for r in rss_login)} MiB** |",
        f"| …of which the log-ins' hash (after − before, the larger worker) | "
        f"**{max(rss_login) - max(rss_pages):.1f} MiB**, against argon2id's m = 64 MiB (RFC 9106 §4, the SECOND "
        f"RECOMMENDED option: t=3, p=4, 64 MiB, the lower of its two; argon2-cffi's default) |",
        f"| peak RSS per hello worker | {', '.join(f'{r:.1f}' for r in rss_hello)} MiB |",
        f"| log-in throughput (argon2id verify, 64 MiB, t=3, p=4) | **{login['rps']:.1f}/s** at "
        f"{args.login_connections} connections, {login32['rps']:.1f}/s at {args.connections} |",
        "",
        "Every round (req/s): " + "; ".join(f"{label} {values}" for label, values in all_rps.items()),
        "",
    ]
    notes = ""
    if args.output.exists():
        old = args.output.read_text()
        if NOTES_MARKER in old:
            notes = old[old.index(NOTES_MARKER) + len(NOTES_MARKER):]
    args.output.write_text("\n".join(lines) + "\n" + NOTES_MARKER + notes.rstrip() + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
