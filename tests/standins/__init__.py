"""Stand-in servers for the real registries: GUS BIR 1.1, the MF white list and VIES.

Each is a real HTTP server on 127.0.0.1 (port 0) in a thread, speaking the service's
protocol, with `.url` (what GUS_API_URL / MF_API_URL / VIES_API_URL take), `.calls` (a
Counter by operation), `.mode` (a settable fault mode), `.stop()`, and the entities of the
demo registry (konto/registry/demo_data.json) plus a few of its own (tests/standins/data.py).

    gus = start_gus_standin()
    app = create_app({..., "KONTO_REGISTRY": "gus", "GUS_API_KEY": gus.key, "GUS_API_URL": gus.url})
    ...
    gus.stop()
"""

from tests.standins.gus import TEST_KEY
from tests.standins.gus import GusStandIn
from tests.standins.vies import ViesStandIn
from tests.standins.whitelist import WhiteListStandIn

__all__ = [
    "TEST_KEY",
    "GusStandIn",
    "ViesStandIn",
    "WhiteListStandIn",
    "registry_config",
    "start_gus_standin",
    "start_mf_standin",
    "start_vies_standin",
]


def start_gus_standin(**options):
    """A running BIR 1.1 stand-in; options: key, session_ttl, report_versions."""
    return GusStandIn(**options)


def start_mf_standin():
    """A running white-list stand-in."""
    return WhiteListStandIn()


def start_vies_standin():
    """A running VIES stand-in."""
    return ViesStandIn()


def registry_config(gus, mf, vies):
    """The app settings that point KONTO_REGISTRY=gus at running stand-ins."""
    return {
        "KONTO_REGISTRY": "gus",
        "GUS_API_KEY": gus.key,
        "GUS_API_URL": gus.url,
        "MF_API_URL": mf.url,
        "VIES_API_URL": vies.url,
    }
