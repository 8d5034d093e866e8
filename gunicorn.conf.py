"""gunicorn settings for Konto: `gunicorn wsgi:app` picks this file up from the working directory.

Every value can be changed from the environment (names below) or on the command line.

Sync workers: one request at a time per process, so p99 stays close to p50 and each
worker's memory is bounded. A login hashes a password with argon2id (64 MiB, ~80 ms of
one core), so a worker needs about 35 MiB + 64 MiB at its peak; with sync workers only one
hash runs per worker at a time. Size workers by cores (2 per core is plenty: the app is
CPU bound, the database is local or a short network hop away) and by memory (~100 MiB each).
"""

import os

bind = os.environ.get("KONTO_BIND", "127.0.0.1:8000")
# os.cpu_count(), not multiprocessing.cpu_count(): the same figure without importing multiprocessing at start.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1), 8)))
worker_class = "sync"
# Slow clients are the proxy's job (nginx buffers requests and responses); a sync worker
# should never wait long on a socket.
timeout = int(os.environ.get("KONTO_WORKER_TIMEOUT", 30))  # a stuck worker is killed and replaced
graceful_timeout = 20
keepalive = 2
# Recycle a worker after this many requests (0: never; set it if memory creeps up).
max_requests = int(os.environ.get("KONTO_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
# Load the app once in the master and fork: faster worker (re)starts, shared memory pages.
# The factory closes every database connection it opened before returning.
preload_app = True
# gunicorn 27 otherwise creates a control socket under $HOME (~/.gunicorn/gunicorn.ctl).
control_socket_disable = True
# Each request is logged by the app (one JSON line with the request id: konto.observability).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("KONTO_LOG_LEVEL", "info")
# Behind a reverse proxy on the same machine or network: the proxy sets X-Forwarded-*
# (the app trusts them with KONTO_PROXY_FIX=1). gunicorn's own check is for its own use.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
