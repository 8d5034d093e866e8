"""Who is on the other end of the request: its address and its user agent, as stored and keyed.

One definition for the audit log, consents, login sessions and rate limits. The address is
werkzeug's `request.remote_addr` (the proxy's X-Forwarded-For only with KONTO_PROXY_FIX).
"""

from flask import request

# The longest textual IP address (IPv6 with an embedded IPv4 address) and the stored agent.
IP_MAX_LENGTH = 45
AGENT_MAX_LENGTH = 255


def client_ip():
    """The client's IP address ("" when the server gives none)."""
    return (request.remote_addr or "")[:IP_MAX_LENGTH]


def client_agent():
    """The client's User-Agent header, cut to what the database keeps (without NUL, which
    PostgreSQL cannot store)."""
    return (request.user_agent.string or "").replace("\x00", "")[:AGENT_MAX_LENGTH]
