"""Who is on the other end of the request: its address and its user agent, as stored and keyed.

One definition for the audit log, consents, login sessions and rate limits. The address is
werkzeug's `request.remote_addr`: behind KONTO_PROXY_FIX proxies, the one their X-Forwarded-For
names, but only for a request that comes from one of them (FORWARDED_ALLOW_IPS, gunicorn's own
setting, so one value serves both); anyone else sending the header is taken at their address.
"""

from ipaddress import ip_address
from ipaddress import ip_network

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

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


def parse_networks(raw):
    """FORWARDED_ALLOW_IPS ("127.0.0.1,::1", networks like "10.0.0.0/8", or "*"): the networks; raises ValueError."""
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if items == ["*"]:
        return [ip_network("0.0.0.0/0"), ip_network("::/0")]
    return [ip_network(item, strict=False) for item in items]


class TrustedProxyFix:
    """werkzeug's ProxyFix (X-Forwarded-For/-Proto/-Host from `count` proxies), applied only to a
    request whose peer is one of the trusted proxies."""

    def __init__(self, app, count, trusted):
        self.app = app
        self.fixed = ProxyFix(app, x_for=count, x_proto=1, x_host=1)
        self.trusted = parse_networks(trusted)

    def _from_proxy(self, peer):
        try:
            address = ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def __call__(self, environ, start_response):
        if self._from_proxy(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
