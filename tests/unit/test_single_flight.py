"""api/auth/single_flight.py: one refresh at a time, its outcome shared by everyone waiting."""

from __future__ import annotations

import asyncio

import pytest

from api.auth.single_flight import SingleFlight


class Refresh:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail
        self.release = asyncio.Event()

    async def __call__(self) -> None:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("database unreachable")


async def test_concurrent_callers_share_one_refresh() -> None:
    flight, refresh = SingleFlight(), Refresh()
    waiters = [asyncio.create_task(flight.run(refresh)) for _ in range(5)]
    await asyncio.sleep(0)
    assert flight.running
    refresh.release.set()
    await asyncio.gather(*waiters)
    assert refresh.calls == 1
    assert not flight.running


async def test_a_failure_reaches_every_waiter_once_and_is_not_retried_by_them() -> None:
    flight, refresh = SingleFlight(), Refresh(fail=True)
    waiters = [asyncio.create_task(flight.run(refresh)) for _ in range(5)]
    await asyncio.sleep(0)
    refresh.release.set()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert refresh.calls == 1


async def test_the_next_caller_after_an_outcome_starts_a_new_refresh() -> None:
    flight, refresh = SingleFlight(), Refresh(fail=True)
    refresh.release.set()
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await flight.run(refresh)
    assert refresh.calls == 2


async def test_a_waiter_that_goes_away_leaves_the_refresh_running_for_the_others() -> None:
    flight, refresh = SingleFlight(), Refresh()
    impatient = asyncio.create_task(flight.run(refresh))
    patient = asyncio.create_task(flight.run(refresh))
    await asyncio.sleep(0)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    refresh.release.set()
    await patient
    assert refresh.calls == 1
