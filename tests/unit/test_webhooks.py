"""Webhook rules: signatures a Standard Webhooks receiver accepts, retry delays, where we never send."""

from __future__ import annotations

import itertools
import time

import pytest
from standardwebhooks.webhooks import Webhook

from domain import webhooks as rules
from domain.errors import ValidationFailed


def test_a_signature_verifies_with_the_standard_webhooks_library() -> None:
    secret = rules.new_secret()
    assert secret.startswith("whsec_")
    assert len(rules.secret_key(secret)) == 32
    body, timestamp = b'{"id":"evt_1","type":"ping","data":{}}', int(time.time())
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": rules.signature_header([rules.new_secret(), secret], "evt_1", timestamp, body),
    }
    assert Webhook(secret).verify(body, headers)["type"] == "ping"


def test_each_secret_gets_its_own_signature() -> None:
    one, two = rules.new_secret(), rules.new_secret()
    header = rules.signature_header([one, two], "evt_1", 1, b"{}")
    assert header.split(" ") == [rules.signature(one, "evt_1", 1, b"{}"), rules.signature(two, "evt_1", 1, b"{}")]
    assert rules.signature(one, "evt_1", 1, b"{}") != rules.signature(one, "evt_2", 1, b"{}")


@pytest.mark.parametrize("jitters", [(1.0, 0.75), (0.75, 0.75), (1.0, 1.0)])
def test_retry_delays_grow_until_the_cap(jitters: tuple[float, float]) -> None:
    delays = [
        rules.retry_delay(attempt, base_seconds=10, cap_seconds=3600, jitter=jitters[attempt % 2])
        for attempt in range(1, 10)
    ]
    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
    assert rules.retry_delay(40, base_seconds=10, cap_seconds=3600, jitter=1.0) == 3600
    assert rules.retry_delay(1, base_seconds=10, cap_seconds=3600, jitter=0.75) == 7.5


def test_jitter_outside_its_range_is_a_bug() -> None:
    with pytest.raises(ValueError, match="jitter"):
        rules.retry_delay(1, base_seconds=1, cap_seconds=1, jitter=0.5)


def test_giving_up_after_the_window() -> None:
    assert not rules.gives_up(86_399, retry_window_seconds=86_400)
    assert rules.gives_up(86_400, retry_window_seconds=86_400)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.0.0.7", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),  # noqa: S104 - an address under test, not a bind
        ("::1", True),
        ("fe80::1%eth0", True),
        ("fd00:ec2::254", True),
        ("::ffff:127.0.0.1", True),
        ("224.0.0.1", True),
        ("93.184.215.14", False),
        ("2606:4700::6810:84e5", False),
    ],
)
def test_private_loopback_link_local_and_metadata_addresses_are_forbidden(address: str, forbidden: bool) -> None:
    assert rules.forbidden_address(address) is forbidden


@pytest.mark.parametrize(
    ("url", "production", "allowed"),
    [
        ("https://hooks.example.com/x", True, True),
        ("http://hooks.example.com/x", True, False),
        ("http://127.0.0.1:8080/x", False, True),
        ("ftp://example.com/x", False, False),
        ("https://u:p@example.com/x", False, False),
        ("https:///x", False, False),
        ("https://example.com/x#frag", False, False),
        ("https://example.com/" + "a" * 2000, False, False),
    ],
)
def test_urls(url: str, production: bool, allowed: bool) -> None:
    if allowed:
        rules.check_url(url, production=production)
    else:
        with pytest.raises(ValidationFailed):
            rules.check_url(url, production=production)


def test_event_types_must_exist() -> None:
    rules.check_event_types(["voucher.sold", "certificate.issued"])
    with pytest.raises(ValidationFailed) as caught:
        rules.check_event_types(["voucher.sold", "voucher.sould"])
    assert caught.value.problems[0].field == "event_types"


@pytest.mark.parametrize("url", ["http://[::1/x", "https://example.com:99999/x", "https://example.com:port/x"])
def test_malformed_urls_are_a_validation_error(url: str) -> None:
    with pytest.raises(ValidationFailed):
        rules.check_url(url, production=False)


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "100.100.100.200"])
def test_a_cloud_metadata_address_is_never_a_destination(address: str) -> None:
    assert rules.metadata_address(address)
    assert rules.forbidden_address(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.1.20", "8.8.8.8"])
def test_other_addresses_are_not_metadata(address: str) -> None:
    assert not rules.metadata_address(address)
