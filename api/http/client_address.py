"""The caller's address, for per-address limits: the socket's peer, or what a trusted proxy says it saw.

Trusting a forwarding header is a deployment decision, off by default: anyone can send `X-Forwarded-For`, so it is
believed only when the socket's peer is one of the configured proxies (`TRUSTED_PROXIES`). With
`x-forwarded-for`, the caller is the right-most hop that is not itself a trusted proxy (the left part of the list
is whatever the caller chose to write); with `x-real-ip`, the one value the proxy set.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from api.settings import Settings

UNKNOWN = "unknown"
STATE_KEY = "client_address"
MAX_ADDRESS_LENGTH = 64


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str, settings: Settings) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in _networks(settings.trusted_proxies))


def _header(scope: Any, name: str) -> str | None:
    wanted = name.encode("latin-1")
    values = [value.decode("latin-1") for key, value in scope.get("headers", ()) if key.lower() == wanted]
    return ",".join(values) if values else None


def client_address(scope: Any, settings: Settings) -> str:
    """The address limits are counted against (remembered in the request's state)."""
    state = scope.setdefault("state", {})
    known = state.get(STATE_KEY)
    if isinstance(known, str):
        return known
    client = scope.get("client")
    peer = str(client[0]) if client else UNKNOWN
    address = peer
    header = settings.trusted_proxy_header
    if header is not None and _trusted(peer, settings):
        value = _header(scope, header)
        if value is not None:
            hops = [hop.strip() for hop in value.split(",") if hop.strip()]
            if header == "x-real-ip":
                hops = hops[-1:]
            for hop in reversed(hops):
                if _ip(hop) is None:
                    break  # garbage written by the caller: stop at the last address a proxy vouched for
                address = hop
                if not _trusted(hop, settings):
                    break
    address = address[:MAX_ADDRESS_LENGTH] or UNKNOWN
    state[STATE_KEY] = address
    return address
