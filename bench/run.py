"""The benchmark command: starts the API as production would, drives it with wrk, prints one table.

    python bench/run.py [auth] [catalogue] [redeem] [webhooks] [--duration 10] [--connections 64] [--workers N]

Figures are ratios measured side by side in one run on one machine, so they mean something on any
machine; absolute numbers are printed too. Results also go to bench/results.json (flat keys).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db.migrations import migrate  # noqa: E402
from api.db.pool import embedded_server_url  # noqa: E402
from api.jobs.bootstrap import create_programme_client  # noqa: E402
from api.settings import Settings  # noqa: E402
from domain import voucher_codes  # noqa: E402
from domain.statements import period_of  # noqa: E402

BENCH_DATABASE = "prakerja_bench"
RESULTS = ROOT / "bench" / "results.json"
DB_POOL_MAX = 20  # connections per API worker process: the server's total pool is workers * DB_POOL_MAX


def server_admin_url() -> str:
    """The configured server (or the embedded one), connected to a database that is not a bench database."""
    return os.environ.get("DATABASE_URL") or embedded_server_url(ROOT / ".data", "postgres")


def bench_database_url(name: str = BENCH_DATABASE, *, fresh: bool = False) -> str:
    """A database of its own on the configured server (or the embedded one), so runs never touch dev data.

    `fresh` drops it first, for a measurement that needs an exact starting size.
    """
    configured = os.environ.get("DATABASE_URL")
    if not configured and not fresh:
        return embedded_server_url(ROOT / ".data", name)
    admin = server_admin_url()

    async def ensure() -> None:
        conn = await asyncpg.connect(admin)
        try:
            if fresh:
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()

    asyncio.run(ensure())
    if not configured:
        return embedded_server_url(ROOT / ".data", name)
    return urlunsplit(urlsplit(configured)._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# The peak resident memory (MiB) of every API worker process the bench started, read as each server stops.
worker_peaks_mb: list[float] = []
# The process id of each running bench server by its base URL, for the CPU accounting of `usage()`.
server_pids: dict[str, int] = {}


def peak_rss_mb_of_workers(server_pid: int) -> list[float]:
    """Peak resident set size (VmHWM) of the server's worker processes, or of the server itself when it forks
    none; Linux only (an empty list elsewhere)."""
    proc = Path("/proc")
    if not proc.exists():
        return []

    def peak_mb(pid: int) -> float | None:
        with suppress(OSError):
            for line in (proc / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        return None

    children = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                stat = (entry / "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state is the ppid
                # Uvicorn starts its workers with multiprocessing's spawn (not, say, its resource tracker).
                if parent == server_pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                    children.append(int(entry.name))
    peaks = [peak for pid in children if (peak := peak_mb(pid)) is not None]
    own = peak_mb(server_pid)
    return peaks or ([own] if own is not None else [])


@contextmanager
def running_server(database_url: str, workers: int, port: int, log_name: str = "bench-server.log") -> Iterator[str]:
    """The API under `python -m api serve`, its production entry point, until the block ends."""
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "development",
        "PUBLIC_URL": base,
        "LOG_LEVEL": "INFO",
        "KEY_ENCRYPTION_KEY": base64.b64encode(b"b" * 32).decode(),
        "DB_POOL_MAX": str(DB_POOL_MAX),
        # Every request of the bench comes from one address: lift the per-address limits off the measurement.
        "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000",
        "TOKEN_ADDRESS_LIMIT_PER_MINUTE": "1000000",
    }
    log = (ROOT / ".data" / log_name).open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--no-migrate", "--workers", str(workers), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError(f"the server did not become ready; see .data/{log_name}")
        server_pids[base] = process.pid
        yield base
    finally:
        server_pids.pop(base, None)
        worker_peaks_mb.extend(peak_rss_mb_of_workers(process.pid))
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


# --- what one operation costs the primary and the API: CPU time and WAL bytes, for the capacity model ---------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (so the state is field 0), or None when the process is gone."""
    with suppress(OSError, IndexError):
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return None


def _children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None and int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of `root` and its children, including children that already exited and were
    reaped by it (their time is in its cutime/cstime)."""
    total = 0
    for pid in (root, *_children_of(root)):
        fields = _stat_fields(pid)
        if fields is not None:
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / _CLOCK_TICKS


async def _postmaster_and_wal(database_url: str) -> tuple[int | None, int, int]:
    """The database server's postmaster pid when it runs on this machine (else None), its WAL position, and the
    full-page images written so far (pg_stat_wal: the first change to a page after a checkpoint logs the page)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        wal, images = await conn.fetchrow(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, (SELECT wal_fpi FROM pg_stat_wal)"
        )
        pid = None
        with suppress(asyncpg.InsufficientPrivilegeError, OSError, ValueError):
            data_directory = await conn.fetchval("SHOW data_directory")
            candidate = int((Path(data_directory) / "postmaster.pid").read_text().split()[0])
            if _stat_fields(candidate) is not None:
                pid = candidate
        return pid, int(wal), int(images)
    finally:
        await conn.close()


@contextmanager
def usage(database_url: str, base: str) -> Iterator[dict[str, float | None]]:
    """CPU seconds of the primary's processes and of the API server at `base`, and WAL bytes written, while the
    block runs (the yielded dict is filled in when it ends). The primary's CPU is None for a server elsewhere."""
    measured: dict[str, float | None] = {}
    postmaster, wal_before, images_before = asyncio.run(_postmaster_and_wal(database_url))
    primary_before = cpu_seconds(postmaster) if postmaster else None
    api_before = cpu_seconds(server_pids[base])
    yield measured
    api_after = cpu_seconds(server_pids[base])
    time.sleep(1.1)  # backends report their WAL statistics at most once a second
    _, wal_after, images_after = asyncio.run(_postmaster_and_wal(database_url))
    measured["api_cpu_s"] = api_after - api_before
    measured["wal_bytes"] = wal_after - wal_before
    measured["wal_full_page_images"] = images_after - images_before
    measured["primary_cpu_s"] = cpu_seconds(postmaster) - primary_before if postmaster and primary_before else None


def per_operation(measured: dict[str, float | None], operations: int, prefix: str) -> dict[str, float | None]:
    """Flat result keys: primary and API CPU milliseconds and WAL bytes per operation."""

    def each(value: float | None, scale: float, digits: int) -> float | None:
        return None if value is None or not operations else round(value * scale / operations, digits)

    return {
        f"{prefix}_primary_cpu_ms": each(measured["primary_cpu_s"], 1000, 3),
        f"{prefix}_api_cpu_ms": each(measured["api_cpu_s"], 1000, 3),
        f"{prefix}_wal_bytes": each(measured["wal_bytes"], 1, 0),
        f"{prefix}_wal_full_page_images": each(measured["wal_full_page_images"], 1, 2),
    }


def ensure_wrk() -> str:
    """wrk from Debian; installed on first use when the machine lacks it."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package) for the load generator...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    assert found is not None
    return found


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value.strip())
    assert match is not None, value
    return float(match.group(1)) * _UNITS[match.group(2)]


WRK_THREADS = 2


def run_wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
) -> str:
    """wrk's output for `duration` seconds of load on `url` (GETs, or whatever `script` sends)."""
    command = [ensure_wrk(), f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def wrk_figures(output: str) -> dict[str, float]:
    """Requests per second and p50/p99 latency (ms) from wrk's output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


def wrk(url: str, *, duration: int, connections: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    """Requests per second and p50/p99 latency (ms) of GETs to `url`; non-2xx responses fail the run."""
    output = run_wrk(url, duration=duration, connections=connections, headers=headers)
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx responses from {url}:\n{output}")
    return wrk_figures(output)


def partner_token(
    base: str,
    database_url: str,
    *,
    partner_id: str | None = None,
    scopes: tuple[str, ...] = ("courses:read", "vouchers:read"),
) -> tuple[str, str]:
    """A partner access token obtained the way an integration would, and its client id.

    A new partner is created through the API unless `partner_id` names one that exists already.
    """
    settings = Settings(database_url=database_url, app_env="development")
    portal = asyncio.run(create_programme_client(settings, "Bench portal", None))
    with httpx.Client(base_url=base, timeout=30) as http:
        programme = http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(portal.client_id, portal.client_secret)
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {programme}"}
        if partner_id is None:
            partner = http.post(
                "/v1/programme/partners",
                json={"name": "Bench partner", "kind": "platform", "contact_email": "bench@example.com"},
                headers=bearer,
            )
            partner.raise_for_status()
            partner_id = partner.json()["id"]
        created = http.post(
            f"/v1/programme/partners/{partner_id}/clients",
            # The highest per-client quota: the load runs through the rate limiter without being refused by it.
            json={
                "name": "bench",
                "environment": "sandbox",
                "scopes": list(scopes),
                "rate_limit_per_minute": 1_000_000,
            },
            headers=bearer,
        )
        created.raise_for_status()
        client = created.json()
        issued = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
        )
        issued.raise_for_status()
        return issued.json()["access_token"], client["client_id"]


AUTH_ROUNDS = 5  # alternating pairs; a noisy machine moves single rounds by ±10%, the median of five much less


def bench_auth(base: str, database_url: str, duration: int, connections: int) -> dict[str, Any]:
    """Throughput of an authenticated endpoint (`/v1/me`) against an unauthenticated one, side by side."""
    token, _ = partner_token(base, database_url)
    bearer = {"Authorization": f"Bearer {token}"}
    wrk(f"{base}/health/live", duration=2, connections=connections)  # warm up both paths
    wrk(f"{base}/v1/me", duration=2, connections=connections, headers=bearer)
    # Alternating rounds, each pair side by side: a burst of other work on the machine hits one pair, not the
    # whole figure. The ratio is the median of the pairs' ratios; the other figures come from that pair.
    pairs = []
    for _ in range(AUTH_ROUNDS):
        live = wrk(f"{base}/health/live", duration=duration, connections=connections)
        authed = wrk(f"{base}/v1/me", duration=duration, connections=connections, headers=bearer)
        pairs.append((authed["rps"] / live["rps"], live, authed))
    ratio, live, authed = sorted(pairs, key=lambda pair: pair[0])[len(pairs) // 2]
    return {
        "health_live_rps": live["rps"],
        "health_live_p99_ms": live["p99_ms"],
        "me_rps": authed["rps"],
        "me_p50_ms": authed["p50_ms"],
        "me_p99_ms": authed["p99_ms"],
        "auth_overhead_ratio": round(ratio, 3),
        "auth_overhead_ratios_of_rounds": " ".join(f"{r:.3f}" for r, _, _ in pairs),
    }


WORDS = (  # noqa: SIM905 (a sentence is easier to edit than a list of 49 strings)
    "pemasaran digital keuangan akuntansi bahasa inggris pemrograman python desain grafis kuliner memasak "
    "menjahit fotografi video editing public speaking kepemimpinan manajemen proyek penjualan layanan pelanggan "
    "barista perhotelan pariwisata pertanian hidroponik peternakan otomotif listrik las konstruksi data analysis "
    "excel spreadsheet marketing sales customer service leadership programming web mobile cloud security network"
).split()
SEED_COURSES = """
INSERT INTO courses (id, partner_id, status, title, description, category, format, hours, price, public_price,
                     competencies, language, modules, approved_at, submitted_at)
SELECT 'crs_bench_' || n, $1, 'approved',
       initcap(w[1 + n % cardinality(w)] || ' ' || w[1 + (n * 7) % cardinality(w)] || ' '
               || w[1 + (n * 13) % cardinality(w)]),
       'Kursus ' || w[1 + (n * 3) % cardinality(w)] || ' dan ' || w[1 + (n * 5) % cardinality(w)]
           || ' untuk pemula sampai mahir; materi ' || w[1 + (n * 11) % cardinality(w)] || ' lengkap.',
       (ARRAY['marketing', 'finance', 'technology', 'hospitality', 'trades'])[1 + n % 5],
       (ARRAY['self_paced', 'webinar', 'offline', 'blended'])[1 + n % 4],
       15 + n % 30, 100000 + (n % 30) * 100000, 3500000,
       ARRAY[w[1 + (n * 17) % cardinality(w)], w[1 + (n * 19) % cardinality(w)]],
       (ARRAY['id', 'en'])[1 + n % 2], CASE WHEN n % 4 = 0 THEN 5 END,
       now() - make_interval(secs => n), now() - make_interval(secs => n)
  FROM generate_series(1, $2) AS n, (SELECT $3::text[] AS w) AS words
ON CONFLICT (id) DO NOTHING
"""
CATALOGUE_QUERY = "pemasaran"
CATALOGUE_NO_MATCH = "zzqxjv"  # no seeded course has this word; wrk appends digits so no two requests repeat
CATALOGUE_ROUNDS = 3  # alternating catalogue and /health/live runs; the median ratio is reported


async def seed_catalogue(database_url: str, courses: int) -> None:
    """`courses` approved courses of one bench partner (idempotent: reruns add nothing)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO partners (id, name, kind, contact_email) VALUES ('prt_bench', 'Bench Academy', 'provider',"
            " 'bench@example.com') ON CONFLICT DO NOTHING"
        )
        await conn.execute(SEED_COURSES, "prt_bench", courses, WORDS)
        await conn.execute("ANALYZE courses; ANALYZE partners")
    finally:
        await conn.close()


async def explain_catalogue(database_url: str) -> tuple[str, int]:
    """The plan of the catalogue search query, and how many courses match it."""
    from api.services.catalogue import CATALOGUE_FILTERS, CATALOGUE_FROM

    sql = (
        CATALOGUE_FROM + " AND " + CATALOGUE_FILTERS["q"].format(1) + " ORDER BY c.approved_at DESC, c.id DESC LIMIT 21"
    )
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, CATALOGUE_QUERY)
        matches = await conn.fetchval(
            "SELECT count(*) FROM courses WHERE status = 'approved' AND search @@ websearch_to_tsquery('simple', $1)",
            CATALOGUE_QUERY,
        )
        return "\n".join(r[0] for r in rows), int(matches)
    finally:
        await conn.close()


def bench_catalogue(base: str, database_url: str, duration: int, connections: int, courses: int) -> dict[str, Any]:
    """Catalogue full-text search throughput and latency with `courses` approved courses."""
    asyncio.run(seed_catalogue(database_url, courses))
    plan, matches = asyncio.run(explain_catalogue(database_url))
    print(f"\nEXPLAIN of the catalogue search for {CATALOGUE_QUERY!r} ({matches} matching courses):\n{plan}\n")
    url = f"{base}/v1/catalogue/courses?q={CATALOGUE_QUERY.replace(' ', '+')}"
    nothing = f"{base}/v1/catalogue/courses?q={CATALOGUE_NO_MATCH}"
    wrk(url, duration=2, connections=connections)
    # The first page of a popular query (served from each process's page cache once warm) beside the cheapest
    # endpoint there is, alternating, so both see the same machine.
    pages, lives = [], []
    for _ in range(CATALOGUE_ROUNDS):
        with usage(database_url, base) as page_cost:
            pages.append(wrk(url, duration=duration, connections=connections))
        lives.append(wrk(f"{base}/health/live", duration=duration, connections=connections))
    ratios = sorted(page["rps"] / live["rps"] for page, live in zip(pages, lives, strict=True))
    measured = max(pages, key=lambda figures: figures["rps"])
    # A query that matches nothing, uncached (each request a new query string), at low concurrency.
    with usage(database_url, base) as miss_cost:
        misses = wrk_unique_queries(nothing, duration=duration, connections=4)
    return {
        "catalogue_courses": courses,
        "catalogue_query_matches": matches,
        "catalogue_search_rps": measured["rps"],
        "catalogue_search_p50_ms": measured["p50_ms"],
        "catalogue_search_p99_ms": measured["p99_ms"],
        "catalogue_search_uses_index": "courses_catalogue" in plan,
        "catalogue_vs_live_ratio": round(ratios[len(ratios) // 2], 3),
        "catalogue_nomatch_p50_ms": misses["p50_ms"],
        "catalogue_nomatch_p99_ms": misses["p99_ms"],
        # What a page costs: the popular first page (last round, from the page cache) and an uncached search.
        **per_operation(page_cost, round(pages[-1]["rps"] * duration), "catalogue_page"),
        **per_operation(miss_cost, round(misses["rps"] * duration), "catalogue_uncached"),
    }


UNIQUE_QUERY_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. counter .. math.random(1, 1000000000))
end
"""


def wrk_unique_queries(url: str, *, duration: int, connections: int) -> dict[str, float]:
    """wrk where every request carries a different query string, so no cache can answer it."""
    script = ROOT / "bench" / ".unique_query.lua"
    script.write_text(UNIQUE_QUERY_SCRIPT)
    try:
        output = run_wrk(url, duration=duration, connections=connections, script=script)
    finally:
        script.unlink(missing_ok=True)
    return wrk_figures(output)


# --- redeem: exactly-once redemption through the API next to pgbench running its SQL ------------------------

REDEEM_PARTNER = "prt_bench"
REDEEM_COURSE = "crs_bench_redeem"
REDEEM_PRICE = 1_000_000
REDEEM_SCRIPT = ROOT / "bench" / "redeem.lua"
REDEEM_SCOPES = ("vouchers:read", "vouchers:redeem")
SMALL_DATABASE = "prakerja_bench_10k"
SMALL_VOUCHERS = 10_000
WARMUP_SECONDS = 2
# Latency at 10 thousand vs millions of vouchers: a paced low load (each of LATENCY_CONNECTIONS connections waits
# LATENCY_PAUSE_MS after a response), a short warm-up, then LATENCY_ROUNDS alternating rounds on the two tables.
LATENCY_CONNECTIONS = 4
LATENCY_PAUSE_MS = 10
LATENCY_WARMUP_SECONDS = 1
LATENCY_SECONDS = 5
LATENCY_ROUNDS = 3
LATENCY_MAX_RATE = LATENCY_CONNECTIONS * 1000 // LATENCY_PAUSE_MS  # redemptions/s the pacing allows at most
# Codes handed to a full-load run (API or pgbench) per second of it, so that no voucher is redeemed twice; a run
# that uses them all up fails loudly (raise this if redemptions ever get that fast).
MAX_REDEMPTIONS_PER_SECOND = 10_000
# Alternating rounds of the API and of pgbench (each `duration` seconds): the machine's speed drifts over minutes
# (other work, a shared host), and a drift hits one pair, not the whole ratio, which is the median of the pairs'.
REDEEM_ROUNDS = 3

ENSURE_REDEEM_PARTNER = """
INSERT INTO partners (id, name, kind, contact_email) VALUES ($1, 'Bench Academy', 'provider', 'bench@example.com')
ON CONFLICT DO NOTHING
"""
ENSURE_REDEEM_COURSE = """
INSERT INTO courses (id, partner_id, status, title, description, category, format, hours, price, public_price,
                     competencies, language, approved_at, submitted_at)
VALUES ($1, $2, 'approved', 'Bench redemption course', 'The self-paced course whose vouchers the benchmark redeems.',
        'technology', 'self_paced', 20, $3, 3500000, ARRAY['benchmarking'], 'id', now(), now())
ON CONFLICT (id) DO NOTHING
"""
COUNT_VOUCHERS = """
SELECT count(*) AS in_table, count(*) FILTER (WHERE course_id = $1 AND status = 'sold') AS sold FROM vouchers
"""
LAST_BENCH_PARTICIPANT = (
    "SELECT coalesce(max(substr(id, 11)::int), 0) FROM participants WHERE id ~ '^ptc_bench_[0-9]+$'"
)
SEED_PARTICIPANTS = """
INSERT INTO participants (id, programme_number, nik_hash, name, email, phone, scheme, accepted_at)
SELECT 'ptc_bench_' || n, 'BENCH' || lpad(n::text, 10, '0'), sha256(convert_to('bench-participant-' || n, 'UTF8')),
       'Peserta Bench ' || n, 'peserta' || n || '@bench.example.com', '+6281' || lpad(n::text, 9, '0'),
       (SELECT code FROM schemes WHERE is_default), now() - interval '1 day'
  FROM bench_seed
"""
SEED_BALANCES = """
INSERT INTO balances (participant_id, balance) SELECT 'ptc_bench_' || n, 3500000 - $1 FROM bench_seed
"""
SEED_VOUCHERS = """
INSERT INTO vouchers (code, partner_id, course_id, participant_id, amount, sold_at, expires_at)
SELECT code, $1, $2, 'ptc_bench_' || n, $3, now(), now() + interval '10 years' FROM bench_seed
ON CONFLICT (code) DO NOTHING
"""
SOLD_CODES = "SELECT code FROM vouchers WHERE course_id = $1 AND status = 'sold' ORDER BY random() LIMIT $2"


async def vacuum_and_checkpoint(conn: asyncpg.Connection) -> None:
    """Dead rows vacuumed, statistics fresh and dirty pages written, so that neither autovacuum nor a checkpoint
    runs during a measurement."""
    await conn.execute("VACUUM (ANALYZE) participants, balances, vouchers, enrollments, statements, statement_lines")
    with suppress(asyncpg.InsufficientPrivilegeError):
        await conn.execute("CHECKPOINT")


def settle(database_url: str) -> None:
    """`vacuum_and_checkpoint` before a measurement, so that none pays for the writes of the one before it."""

    async def run() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await vacuum_and_checkpoint(conn)
        finally:
            await conn.close()

    asyncio.run(run())


async def seed_vouchers(database_url: str, at_least: int, sold_needed: int) -> int:
    """At least `at_least` vouchers in the table and `sold_needed` sold ones of the bench course; returns the total.

    Incremental: a rerun adds only what is missing (one participant, balance and sold voucher each): codes drawn
    in Python are COPYed into a temporary table, then set-based INSERTs, all in one transaction; VACUUM ANALYZE
    after (also when nothing was missing), so the measurements do not run next to autovacuum.
    """
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(ENSURE_REDEEM_PARTNER, REDEEM_PARTNER)
        await conn.execute(ENSURE_REDEEM_COURSE, REDEEM_COURSE, REDEEM_PARTNER, REDEEM_PRICE)
        counts = await conn.fetchrow(COUNT_VOUCHERS, REDEEM_COURSE)
        assert counts is not None
        missing = max(at_least - counts["in_table"], sold_needed - counts["sold"], 0)
        if not missing:
            # Earlier runs left redeemed (updated) rows behind: clean them now, not during a measurement.
            await vacuum_and_checkpoint(conn)
            return int(counts["in_table"])
        started = time.monotonic()
        codes: set[str] = set()
        while len(codes) < missing:
            codes.add(voucher_codes.generate(sandbox=True))
        first = await conn.fetchval(LAST_BENCH_PARTICIPANT) + 1
        drawn = time.monotonic()
        async with conn.transaction():
            await conn.execute("CREATE TEMP TABLE bench_seed (n integer, code text) ON COMMIT DROP")
            await conn.copy_records_to_table(
                "bench_seed", records=((first + i, code) for i, code in enumerate(codes)), columns=["n", "code"]
            )
            await conn.execute(SEED_PARTICIPANTS)
            await conn.execute(SEED_BALANCES, REDEEM_PRICE)
            await conn.execute(SEED_VOUCHERS, REDEEM_PARTNER, REDEEM_COURSE, REDEEM_PRICE)
        inserted = time.monotonic()
        await vacuum_and_checkpoint(conn)
        print(
            f"  seeded {missing:,} sold vouchers in {time.monotonic() - started:.1f} s (codes {drawn - started:.1f} s,"
            f" inserts {inserted - drawn:.1f} s, vacuum and checkpoint {time.monotonic() - inserted:.1f} s)",
            flush=True,
        )
        return int(await conn.fetchval("SELECT count(*) FROM vouchers"))
    finally:
        await conn.close()


async def sold_codes(database_url: str, count: int) -> list[str]:
    """`count` sold vouchers of the bench course, drawn at random from the whole table, in random order."""
    conn = await asyncpg.connect(database_url)
    try:
        codes = [row["code"] for row in await conn.fetch(SOLD_CODES, REDEEM_COURSE, count)]
    finally:
        await conn.close()
    if len(codes) < count:
        raise RuntimeError(f"only {len(codes)} sold bench vouchers, {count} needed")
    return codes


class Codes:
    """Sold voucher codes handed out in slices, so that no two load runs ever get the same voucher."""

    def __init__(self, codes: list[str]) -> None:
        self._codes = codes
        self._next = 0

    def take(self, count: int) -> list[str]:
        taken = self._codes[self._next : self._next + count]
        if len(taken) < count:
            raise RuntimeError(f"{count} codes wanted, {len(taken)} left")
        self._next += count
        return taken


def wrk_redeem(
    base: str, token: str, codes: list[str], *, duration: int, connections: int, pause_ms: int = 0
) -> dict[str, float]:
    """Redemptions per second (201s only) and p50/p99 latency (ms), each request redeeming one of `codes`.

    Any other response, a socket error, or running out of codes fails the section with what wrk saw.
    """
    return wrk_scripted(
        REDEEM_SCRIPT, "REDEEM", base, token, codes, duration=duration, connections=connections, pause_ms=pause_ms
    )


def wrk_scripted(
    script: Path,
    tag: str,
    base: str,
    token: str,
    items: list[str],
    *,
    duration: int,
    connections: int,
    pause_ms: int = 0,
) -> dict[str, float]:
    """wrk running `script` (redeem.lua, attendance.lua), each request on a different one of `items`: requests
    per second that succeeded, p50/p99 latency (ms). Any other response, a socket error, or running out of items
    fails the section with what wrk saw (the script reports per thread in lines starting with `tag`)."""
    items_file = ROOT / ".data" / f"bench-{tag.lower()}.items"
    items_file.write_text("\n".join(items) + "\n")
    run = f"bench-{time.time_ns():x}"  # learner_ref and Idempotency-Key prefix, unique across runs
    output = run_wrk(
        base,
        duration=duration,
        connections=connections,
        headers={"Authorization": f"Bearer {token}"},
        script=script,
        script_args=(str(items_file), run, str(WRK_THREADS), str(pause_ms)),
    )
    threads = [
        {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", line)}
        for line in re.findall(rf"^{tag} thread=.*$", output, re.MULTILINE)
    ]
    if len(threads) != WRK_THREADS:
        raise RuntimeError(f"{script.name} reported {len(threads)} threads, not {WRK_THREADS}:\n{output}")
    created = sum(t["created"] for t in threads)
    refused = sum(t["refused"] for t in threads)
    exhausted = sum(t["exhausted"] for t in threads)
    socket_errors = re.search(r"Socket errors:.*", output)
    if refused or exhausted or socket_errors or created == 0:
        problems = [f"{created} succeeded", f"{refused} other responses (first one below)"]
        if exhausted:
            problems.append(f"{exhausted} requests after the {len(items)} items ran out")
        if socket_errors:
            problems.append(f"{socket_errors.group(0)} (did the server stop?)")
        raise RuntimeError(f"{script.name} run failed: {', '.join(problems)}\n{server_notes()}\n{output}")
    runtime = _ms(re.search(r"requests in ([\d.]+\w+),", output).group(1)) / 1000  # type: ignore[union-attr]
    figures = wrk_figures(output)
    figures["rps"] = round(created / runtime, 2)
    figures["redeemed"] = created
    return figures


# --- open loop: requests sent on a fixed schedule whatever the server does (no coordinated omission) ---------

OPEN_LOOP_MAX_CONNECTIONS = 256  # a request due while every connection is busy waits; its wait counts too
OPEN_LOOP_IDLE_SECONDS = 2.0  # a connection idle longer is not reused (the server may be closing it)


async def _send_on_schedule(
    base: str, requests: list[bytes], rate: float, expected_status: int
) -> tuple[list[float], list[int], float]:
    """Send `requests` (complete HTTP/1.1 messages) at `rate` per second, request i at start + i / rate, each on
    an idle keep-alive connection (a new one when none is idle). Returns each latency in ms from the request's
    scheduled send time to its response's last byte, the statuses other than `expected_status`, and the seconds
    the run took."""
    address = urlsplit(base)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    # Idle connections, most recently used last, with the time each was last used: one idle longer than the
    # server's keep-alive timeout (Uvicorn's: 5 s) may be closed under us, so it is dropped instead.
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    slots = asyncio.Semaphore(OPEN_LOOP_MAX_CONNECTIONS)
    latencies: list[float] = []
    unexpected: list[int] = []

    async def connection() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while idle:
            reader, writer, used = idle.pop()
            if time.perf_counter() - used < OPEN_LOOP_IDLE_SECONDS:
                return reader, writer
            writer.close()
        return await asyncio.open_connection(host, port)

    async def one(message: bytes, due: float) -> None:
        async with slots:
            reader, writer = await connection()
            writer.write(message)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            latencies.append((time.perf_counter() - due) * 1000)
            if (status := int(head[9:12])) != expected_status:
                unexpected.append(status)
            idle.append((reader, writer, time.perf_counter()))

    started = time.perf_counter()
    tasks = []
    for n, message in enumerate(requests):
        due = started + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(message, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for _, writer, _ in idle:
        writer.close()
    return latencies, unexpected, elapsed


def open_loop(base: str, requests: list[bytes], rate: float, expected_status: int) -> dict[str, float]:
    """p50/p99/max latency (ms, from each request's scheduled time) of `requests` sent open-loop at `rate`/s;
    any response other than `expected_status` fails the run."""
    with suppress(ImportError):
        import uvloop  # the same event loop as the server's: the load generator should cost little

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        latencies, unexpected, elapsed = asyncio.run(_send_on_schedule(base, requests, rate, expected_status))
    finally:
        asyncio.set_event_loop_policy(None)
    if unexpected:
        raise RuntimeError(f"open-loop run: {len(unexpected)} responses were not {expected_status}: {unexpected[:5]}")
    latencies.sort()
    return {
        "offered_rps": round(rate, 1),
        "achieved_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[-(len(latencies) // 100) - 1], 2),
        "max_ms": round(latencies[-1], 2),
    }


def redeem_requests(base: str, token: str, codes: list[str]) -> list[bytes]:
    """One complete redemption request per code, as bytes (what `redeem.lua` sends, keyed alike)."""
    run = f"paced-{time.time_ns():x}"
    host = urlsplit(base).netloc
    requests = []
    for n, code in enumerate(codes):
        body = json.dumps({"learner_ref": f"{run}-{n}"}).encode()
        head = (
            f"POST /v1/vouchers/{code}/redeem HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nIdempotency-Key: {run}-{n}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


def server_notes() -> str:
    """What the bench servers logged besides requests (start, stop, signals, errors), for a failure message."""
    notes = []
    for log in sorted((ROOT / ".data").glob("bench-server*.log")):
        lines = [line for line in log.read_text(errors="replace").splitlines() if '"api.request"' not in line]
        interesting = [
            line for line in lines if re.search(r'SIGTERM|Shutting down|Traceback|"level": "(warn|error|crit)', line)
        ]
        notes += [f"{log.name}: {line[:300]}" for line in interesting[-8:]]
    return "\n".join(notes) or "(the servers logged nothing unusual: see .data/bench-server*.log)"


def latency_at_two_sizes(
    small: tuple[str, str, Codes], large: tuple[str, str, Codes]
) -> tuple[dict[str, float], dict[str, float]]:
    """Median p50 and p99 (ms) of paced low-load redemption rounds on two servers, run alternately so that
    whatever else the machine does hits both tables alike."""
    paced = {"connections": LATENCY_CONNECTIONS, "pause_ms": LATENCY_PAUSE_MS}
    per_round = LATENCY_MAX_RATE * LATENCY_SECONDS
    for base, token, codes in (small, large):
        warmup = codes.take(LATENCY_MAX_RATE * LATENCY_WARMUP_SECONDS)
        wrk_redeem(base, token, warmup, duration=LATENCY_WARMUP_SECONDS, **paced)
    rounds: list[list[dict[str, float]]] = [[], []]
    for _ in range(LATENCY_ROUNDS):
        for side, (base, token, codes) in enumerate((small, large)):
            rounds[side].append(wrk_redeem(base, token, codes.take(per_round), duration=LATENCY_SECONDS, **paced))
    small_figures, large_figures = (
        {key: statistics.median(r[key] for r in side) for key in ("p50_ms", "p99_ms", "rps")} for side in rounds
    )
    return small_figures, large_figures


def pgbench_binary() -> str:
    """pgbench of the embedded server's build, or the machine's one for a configured server."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    found = shutil.which("pgbench") if os.environ.get("DATABASE_URL") else None
    if found:
        return found
    if not bundled.exists():
        raise RuntimeError("no pgbench: install PostgreSQL's client programs (Debian: postgresql-client)")
    return str(bundled)


def _pgbench_sql(sql: str, *values: str) -> str:
    """A statement of the API on one line, its $1..$n replaced by pgbench variables (or literals)."""
    return re.sub(r"\$(\d+)", lambda m: values[int(m.group(1)) - 1], " ".join(sql.split()))


def pgbench_redeem_script(*, writes_only: bool = False) -> str:
    """One redemption transaction as the API runs it, statement for statement, as a pgbench script.

    The statements are the API's own SQL constants, in the order one `POST /v1/vouchers/{code}/redeem` sends them
    inside its request transaction (api/http/idempotency.py around api/services/vouchers.redeem; checked against a
    log_statement trace): the idempotency claim (advisory lock on the key, then stored-response lookup, in one
    function call), savepoint, voucher locked with its joins, one statement for the status update, statement
    line, audit row, event row and the enrollment insert read back with its joins, stored response (the savepoint
    is not released: the commit ends it; the scheme is read once per process, not per request). Update the list
    when redeem() changes what it sends.
    `writes_only` keeps the voucher lock and the writes alone.

    Variables come from `-D` (constants of the run, payloads the API stored) and from a lookup of this
    transaction's voucher in bench_voucher_ids, numbered first .. first + size - 1 and visited in a random order
    (`permute`), each once.
    """
    from api.http.idempotency import CLAIM, INSERT_STORED_RESPONSE, SAVEPOINT
    from api.services.vouchers import LOCK_VOUCHER_FOR_REDEMPTION, REDEEM_WRITES

    reads = not writes_only
    enrollment = (
        ":enrollment_id",
        ":code",
        ":partner",
        ":v_course_id",
        "NULL",  # the self-paced course has no schedule, and pgbench's gset turns a NULL into ''
        ":v_participant_id",
        ":learner_ref",
        ":now",
    )
    status = (":code", ":redeemed", ":now")
    settlement = (":partner", ":code", ":v_amount", ":period", ":now")
    event = (":partner", ":action", ":entity_type", ":code", ":event", "NULL")  # created_at: the partner's clock
    audit = (
        ":actor_type", ":client", ":partner", ":action", ":entity_type", ":code", ":before", ":after", ":request",
        "NULL",  # acting_client_id: no staff member acts through a partner client
    )  # fmt: skip
    stored = (
        ":client",
        ":learner_ref",
        ":fingerprint",
        ":method",
        ":path",
        ":status_code",
        ":content_type",
        ":response",
    )
    steps = [
        ("BEGIN", True),
        (_pgbench_sql(CLAIM, ":lock", ":client", ":learner_ref"), reads),
        (SAVEPOINT, reads),
        (_pgbench_sql(LOCK_VOUCHER_FOR_REDEMPTION, ":code", ":partner") + " \\gset v_", True),
        (_pgbench_sql(REDEEM_WRITES, *status, *settlement, *audit, *event, *enrollment), True),
        (_pgbench_sql(INSERT_STORED_RESPONSE, *stored), True),
        ("COMMIT", True),
    ]
    header = [
        "-- generated by bench/run.py from the API's SQL constants: one redemption per transaction",
        "\\set k :client_id + :clients * :i",
        "\\set i :i + 1",
        "\\if :k >= :size",
        "SELECT 'this pgbench run was handed too few vouchers (bench_voucher_ids)'::integer;",
        "\\endif",
        "\\set n :first + permute(:k, :size)",
        "\\set lock hash(:n, :run)",
        "SELECT code, 'enr_pgbench_' || :run::text || '_' || n AS enrollment_id,"
        " 'pgbench-' || :run::text || '-' || n AS learner_ref, '/v1/vouchers/' || code || '/redeem' AS path"
        " FROM bench_voucher_ids WHERE n = :n \\gset",
    ]
    body = [sql if sql.endswith("\\gset v_") else sql + ";" for sql, wanted in steps if wanted]
    return "\n".join(header + body) + "\n"


async def pgbench_variables(database_url: str, client_id: str) -> dict[str, str]:
    """The `-D` constants of the pgbench script; the payloads are those the API stored for one of its redemptions."""
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetchrow(
            "SELECT request_fingerprint, response_body FROM idempotency_keys"
            " WHERE client_id = $1 AND status_code = 201 LIMIT 1",
            client_id,
        )
        if stored is None:
            raise RuntimeError(f"no stored redemption of client {client_id}")
        enrollment = json.loads(stored["response_body"])
        audit = await conn.fetchrow(
            "SELECT before::text, after::text, request_id FROM audit_log"
            " WHERE entity_type = 'voucher' AND entity_id = $1 AND action = 'voucher.redeemed'",
            enrollment["voucher_code"],
        )
        event = await conn.fetchval(
            "SELECT data::text FROM events WHERE partner_id = $1 AND type = 'voucher.redeemed'"
            " ORDER BY id DESC LIMIT 1",
            REDEEM_PARTNER,
        )
    finally:
        await conn.close()
    assert audit is not None
    assert event is not None
    now = datetime.now(UTC)
    return {
        "i": "0",
        "partner": REDEEM_PARTNER,
        "client": client_id,
        "now": now.isoformat(),
        "period": period_of(now),  # the statement month, in Asia/Jakarta as the API computes it
        "redeemed": "redeemed",
        "actor_type": "partner_client",
        "action": "voucher.redeemed",
        "entity_type": "voucher",
        "before": audit["before"],
        "after": audit["after"],
        "request": audit["request_id"],
        "event": event,
        "fingerprint": stored["request_fingerprint"],
        "method": "POST",
        "status_code": "201",
        "content_type": "application/json",
        "response": "\\x" + bytes(stored["response_body"]).hex(),
    }


async def fill_bench_voucher_ids(database_url: str, codes: list[str]) -> None:
    """The helper table pgbench maps its random integers through: n (from 0) -> a sold voucher's code."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS bench_voucher_ids (n integer PRIMARY KEY, code text NOT NULL)")
        await conn.execute("TRUNCATE bench_voucher_ids")
        await conn.copy_records_to_table("bench_voucher_ids", records=list(enumerate(codes)))
        await conn.execute("ANALYZE bench_voucher_ids")
    finally:
        await conn.close()


def run_pgbench(
    database_url: str, script: Path, *, clients: int, duration: int, first: int, size: int, variables: dict[str, str]
) -> dict[str, float]:
    """Transactions per second and average latency (ms) of `script`; any failed or aborted transaction fails."""
    run = str(time.time_ns() // 1000 % 2**62)
    threads = min(clients, os.cpu_count() or 1)
    command = [pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads), "-T", str(duration)]
    defined = {**variables, "clients": str(clients), "first": str(first), "size": str(size), "run": run}
    for name, value in defined.items():
        command += ["-D", f"{name}={value}"]
    result = subprocess.run([*command, "-f", str(script), database_url], capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if result.returncode != 0 or "aborted" in output or failed is None or int(failed.group(1)):
        raise RuntimeError(f"pgbench failed (exit {result.returncode}):\n{output}")
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", output).group(1))  # type: ignore[union-attr]
    return {"tps": round(tps, 2), "latency_avg_ms": latency}


def bench_redeem(database_url: str, duration: int, connections: int, workers: int, vouchers: int) -> dict[str, Any]:
    """Redemptions through the API next to pgbench running the same SQL, and latency at 10 thousand vs millions.

    1. A fresh database with 10 thousand sold vouchers and the bench database grown to at least `vouchers`
       vouchers, each with a server of its own: paced low-load latency rounds, alternating between the two.
    2. REDEEM_ROUNDS alternating rounds of `duration` seconds: redemptions through the API at `connections`
       connections (201 only, each request a different voucher), then pgbench on the same database with the API
       idle, as many clients as the API's whole pool, over other sold vouchers. The ratio is the median round's.
    3. At half the API's rate, open loop; with the audit-sealing worker; attendance; pgbench's writes alone.
    """
    started = time.monotonic()
    pgbench_clients = workers * DB_POOL_MAX
    latency_codes = LATENCY_MAX_RATE * (LATENCY_WARMUP_SECONDS + LATENCY_ROUNDS * LATENCY_SECONDS)
    # Sealing off (the rounds), then on, then the open-loop run at half the measured rate.
    api_codes = (
        MAX_REDEMPTIONS_PER_SECOND * (WARMUP_SECONDS + REDEEM_ROUNDS * duration + duration)
        + MAX_REDEMPTIONS_PER_SECOND // 2 * duration
    )
    # pgbench: a warm-up, the rounds, then the writes alone.
    pgbench_codes = MAX_REDEMPTIONS_PER_SECOND * (WARMUP_SECONDS + REDEEM_ROUNDS * duration + duration)
    needed = latency_codes + api_codes + pgbench_codes
    if latency_codes > SMALL_VOUCHERS:
        raise RuntimeError("the latency rounds would need more vouchers than the small table holds")

    print(f"redeem: {SMALL_VOUCHERS:,} sold vouchers in a fresh {SMALL_DATABASE}...", flush=True)
    small_url = bench_database_url(SMALL_DATABASE, fresh=True)
    asyncio.run(migrate(small_url))
    asyncio.run(seed_vouchers(small_url, SMALL_VOUCHERS, SMALL_VOUCHERS))
    small_codes = Codes(asyncio.run(sold_codes(small_url, latency_codes)))
    print(f"redeem: at least {vouchers:,} vouchers, {needed:,} of them sold, in {BENCH_DATABASE}...", flush=True)
    in_table = asyncio.run(seed_vouchers(database_url, vouchers, needed))
    codes = Codes(asyncio.run(sold_codes(database_url, needed)))

    with running_server(database_url, workers, free_port(), log_name="bench-server-redeem.log") as base:
        token, client_id = partner_token(base, database_url, partner_id=REDEEM_PARTNER, scopes=REDEEM_SCOPES)
        with running_server(small_url, workers, free_port(), log_name="bench-server-10k.log") as small_base:
            small_token, _ = partner_token(small_base, small_url, partner_id=REDEEM_PARTNER, scopes=REDEEM_SCOPES)
            print(f"redeem: latency, {SMALL_VOUCHERS:,} vs {in_table:,} vouchers in the table...", flush=True)
            at_10k, at_1m = latency_at_two_sizes(
                (small_base, small_token, small_codes), (base, token, Codes(codes.take(latency_codes)))
            )
        print(
            f"redeem: {connections} connections through the API, then pgbench with {pgbench_clients} clients (as "
            f"many as the API's whole pool), {REDEEM_ROUNDS} rounds of {duration} s each...",
            flush=True,
        )
        load = codes.take(MAX_REDEMPTIONS_PER_SECOND * WARMUP_SECONDS)
        wrk_redeem(base, token, load, duration=WARMUP_SECONDS, connections=connections)
        # pgbench sends the payloads the API stored for one of the warm-up's redemptions; it runs while the API
        # server is up and idle (no worker: nothing runs in it between requests).
        asyncio.run(fill_bench_voucher_ids(database_url, codes.take(pgbench_codes)))
        variables = asyncio.run(pgbench_variables(database_url, client_id))
        pgbench_first = 0

        def pgbench(seconds: int, *, writes_only: bool = False) -> dict[str, float]:
            nonlocal pgbench_first
            script = ROOT / ".data" / f"bench-redeem-pgbench{'-writes' if writes_only else ''}.sql"
            script.write_text(pgbench_redeem_script(writes_only=writes_only))
            size = MAX_REDEMPTIONS_PER_SECOND * seconds
            settle(database_url)
            measured = run_pgbench(
                database_url,
                script,
                clients=pgbench_clients,
                duration=seconds,
                first=pgbench_first,
                size=size,
                variables=variables,
            )
            pgbench_first += size
            return measured

        pgbench(WARMUP_SECONDS)
        pairs = []
        for _ in range(REDEEM_ROUNDS):
            settle(database_url)
            with usage(database_url, base) as cost:
                api = wrk_redeem(
                    base,
                    token,
                    codes.take(MAX_REDEMPTIONS_PER_SECOND * duration),
                    duration=duration,
                    connections=connections,
                )
            full = pgbench(duration)
            pairs.append((api["rps"] / full["tps"], api, full, cost))
        ratio, api, full, redeem_cost = sorted(pairs, key=lambda pair: pair[0])[len(pairs) // 2]
        # Latency at a fixed offered rate, half the maximum just measured: requests leave on schedule whether or
        # not earlier ones were answered, and each is timed from when it was due (no coordinated omission).
        rate = api["rps"] / 2
        print(f"redeem: open loop at {rate:.0f}/s (half the maximum) for {duration} s...", flush=True)
        settle(database_url)
        half = open_loop(base, redeem_requests(base, token, codes.take(int(rate * duration))), rate, 201)
        # The same load while a worker seals the audit trail into its hash chain as fast as rows arrive: sealing
        # reads and writes beside the writers and must not slow them (the first run had no worker at all).
        print(f"redeem: again with the audit-sealing worker running beside ({duration} s)...", flush=True)
        settle(database_url)
        with running_worker(database_url):
            load = codes.take(MAX_REDEMPTIONS_PER_SECOND * duration)
            sealed = wrk_redeem(base, token, load, duration=duration, connections=connections)
        report = time_report_summary(base, database_url)
        attendance = bench_attendance(base, database_url, duration, connections)
        print(f"redeem: pgbench, the writes alone, {duration} s...", flush=True)
        writes_only = pgbench(duration, writes_only=True)
    print(f"redeem: done in {time.monotonic() - started:.0f} s", flush=True)
    return {
        "vouchers_in_table": in_table,
        "redeem_rps": api["rps"],
        "redeem_p50_ms": api["p50_ms"],
        "redeem_p99_ms": api["p99_ms"],
        "pgbench_clients": pgbench_clients,
        "pgbench_redeem_tps": full["tps"],
        "pgbench_redeem_latency_avg_ms": full["latency_avg_ms"],
        "pgbench_redeem_writes_only_tps": writes_only["tps"],
        "redeem_vs_pgbench_ratio": round(ratio, 3),
        "redeem_vs_pgbench_ratios_of_rounds": " ".join(f"{r:.3f}" for r, _, _, _ in pairs),
        "redeem_half_load_offered_rps": half["offered_rps"],
        "redeem_half_load_achieved_rps": half["achieved_rps"],
        "redeem_p50_ms_at_half_load": half["p50_ms"],
        "redeem_p99_ms_at_half_load": half["p99_ms"],
        "redeem_max_ms_at_half_load": half["max_ms"],
        **per_operation(redeem_cost, int(api["redeemed"]), "redeem"),
        "redeem_latency_load_rps": round(at_1m["rps"], 1),
        "redeem_p50_ms_at_10k": round(at_10k["p50_ms"], 2),
        "redeem_p99_ms_at_10k": round(at_10k["p99_ms"], 2),
        "redeem_p50_ms_at_1m": round(at_1m["p50_ms"], 2),
        "redeem_p99_ms_at_1m": round(at_1m["p99_ms"], 2),
        "redeem_scale_ratio": round(at_1m["p50_ms"] / at_10k["p50_ms"], 3),
        "redeem_rps_sealing_on": sealed["rps"],
        "redeem_sealing_on_vs_off_ratio": round(sealed["rps"] / api["rps"], 3),
        **report,
        **attendance,
    }


ATTENDANCE_SCRIPT = ROOT / "bench" / "attendance.lua"
ATTENDANCE_SCOPES = ("enrollments:read", "learning:write")
FRESH_ENROLLMENTS = """
SELECT e.id FROM enrollments e
 WHERE e.partner_id = $1 AND e.status = 'active'
   AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.enrollment_id = e.id)
 LIMIT $2
"""


async def fresh_enrollments(database_url: str, count: int) -> list[str]:
    """Up to `count` active enrollments of the bench partner with nothing attended yet (the redemptions' own)."""
    conn = await asyncpg.connect(database_url)
    try:
        return [row["id"] for row in await conn.fetch(FRESH_ENROLLMENTS, REDEEM_PARTNER, count)]
    finally:
        await conn.close()


def bench_attendance(base: str, database_url: str, duration: int, connections: int) -> dict[str, Any]:
    """Attendance reports per second (`PUT .../attendance/1`, each on an enrollment the redemptions created)."""
    token, _ = partner_token(base, database_url, partner_id=REDEEM_PARTNER, scopes=ATTENDANCE_SCOPES)
    ids = asyncio.run(fresh_enrollments(database_url, MAX_REDEMPTIONS_PER_SECOND * (WARMUP_SECONDS + duration)))
    print(f"redeem: attendance, {connections} connections for {duration} s ({len(ids):,} fresh enrollments)...")
    time.sleep(1)  # attended_at (whole seconds, when wrk starts) must not precede the last redemption
    warmup, load = ids[: len(ids) // (duration + WARMUP_SECONDS) * WARMUP_SECONDS], ids
    wrk_scripted(ATTENDANCE_SCRIPT, "ATTEND", base, token, warmup, duration=WARMUP_SECONDS, connections=connections)
    load = ids[len(warmup) :]
    with usage(database_url, base) as cost:
        figures = wrk_scripted(
            ATTENDANCE_SCRIPT, "ATTEND", base, token, load, duration=duration, connections=connections
        )
    return {
        "attendance_rps": figures["rps"],
        "attendance_p50_ms": figures["p50_ms"],
        "attendance_p99_ms": figures["p99_ms"],
        **per_operation(cost, int(figures["redeemed"]), "attendance"),
    }


REPORT_ROUNDS = 5


def time_report_summary(base: str, database_url: str) -> dict[str, Any]:
    """The median time of `GET /v1/programme/reports/summary` over the last day, on the bench database (the
    million vouchers and everything the redemption runs just wrote), asked by a programme client, and the status
    of its answers. The report reads everything that happened in the range, and the bench database keeps every
    run's redemptions: after many runs in one day a report outlasts the statement timeout (503), which is a
    figure too, not a reason to lose the others."""
    settings = Settings(database_url=database_url, app_env="development")
    issued = asyncio.run(create_programme_client(settings, "Bench auditor", ["programme:audit"]))
    token = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(issued.client_id, issued.client_secret),
        timeout=30,
    ).json()["access_token"]
    until = datetime.now(UTC)
    query = {"from": (until - timedelta(days=1)).isoformat(), "to": until.isoformat()}
    timings, statuses = [], []
    for _ in range(REPORT_ROUNDS):
        started = time.perf_counter()
        answer = httpx.get(
            f"{base}/v1/programme/reports/summary",
            params=query,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        timings.append((time.perf_counter() - started) * 1000)
        statuses.append(answer.status_code)
    return {
        "report_summary_ms": round(statistics.median(timings), 1),
        "report_summary_statuses": " ".join(str(status) for status in statuses),
    }


WEBHOOK_EVENTS = 1_000
WEBHOOK_RATE = 200  # events committed per second, spread over WEBHOOK_WRITERS connections
WEBHOOK_WRITERS = 4
WEBHOOK_SCOPES = ("events:read", "webhooks:manage")


def _receive(port: Any, log_path: str) -> None:
    """A minimal asyncio HTTP/1.1 receiver (its own process, so the bench's writers do not slow it): answers
    204 at once and logs `webhook-id arrival-time` per request."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.time()
                fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
                headers = {k.strip().lower(): v.strip() for k, v in fields.items()}
                await reader.readexactly(int(headers.get(b"content-length", b"0")))
                log.write(f"{headers[b'webhook-id'].decode()} {arrived}\n")
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    with open(log_path, "w", buffering=1) as log:  # noqa: PTH123
        asyncio.run(serve())


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Callable[[], dict[str, float]]]]:
    """A local receiver process; yields its URL and a function reading webhook-id -> first arrival (time.time())."""
    log_path = ROOT / ".data" / "bench-receiver.log"
    context = multiprocessing.get_context("fork")
    port = context.Value("i", 0)
    process = context.Process(target=_receive, args=(port, str(log_path)), daemon=True)
    process.start()
    while not port.value:
        time.sleep(0.05)

    def arrivals() -> dict[str, float]:
        found: dict[str, float] = {}
        for line in log_path.read_text().splitlines():
            if line.count(" ") == 1:
                event_id, at = line.split(" ")
                found.setdefault(event_id, float(at))
        return found

    try:
        yield f"http://127.0.0.1:{port.value}/hooks", arrivals
    finally:
        process.terminate()
        process.join(timeout=10)


@contextmanager
def running_worker(database_url: str) -> Iterator[None]:
    """`python -m api worker` (expiry sweeps and webhook deliveries) until the block ends."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "development",
        "KEY_ENCRYPTION_KEY": base64.b64encode(b"b" * 32).decode(),
    }
    log = (ROOT / ".data" / "bench-worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


async def commit_events(database_url: str, partner_id: str) -> dict[str, float]:
    """Commit WEBHOOK_EVENTS events, each in its own transaction, paced at WEBHOOK_RATE per second overall;
    returns each event's public id -> the time its COMMIT returned."""
    committed: dict[str, float] = {}
    interval = WEBHOOK_WRITERS / WEBHOOK_RATE
    insert = """
    INSERT INTO events (partner_id, type, entity_type, entity_id, data) VALUES ($1, 'voucher.sold', 'voucher', $2,
           '{"code": "bench"}'::jsonb) RETURNING public_id
    """

    async def writer(number: int) -> None:
        conn = await asyncpg.connect(database_url)
        try:
            start = time.monotonic()
            for n in range(WEBHOOK_EVENTS // WEBHOOK_WRITERS):
                await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
                async with conn.transaction():
                    public_id = await conn.fetchval(insert, partner_id, f"bench-{number}-{n}")
                committed[public_id] = time.time()
        finally:
            await conn.close()

    await asyncio.gather(*(writer(n) for n in range(WEBHOOK_WRITERS)))
    return committed


async def delivery_breakdown(database_url: str, endpoint_id: str) -> dict[str, float]:
    """Where the time went, from the delivery log: event written to attempt started, and the attempt itself."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a.attempted_at - e.created_at) AS queued_p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY a.attempted_at - e.created_at) AS queued_p99,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms) AS send_p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY a.latency_ms) AS send_p99
              FROM webhook_attempts a
              JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id
             WHERE a.endpoint_id = $1
            """,
            endpoint_id,
        )
    finally:
        await conn.close()
    assert row is not None
    return {
        "webhook_queued_p50_ms": round(row["queued_p50"].total_seconds() * 1000, 1),
        "webhook_queued_p99_ms": round(row["queued_p99"].total_seconds() * 1000, 1),
        "webhook_send_p50_ms": row["send_p50"],
        "webhook_send_p99_ms": row["send_p99"],
    }


def bench_webhooks(database_url: str, duration: int, connections: int, workers: int) -> dict[str, Any]:
    """Webhook delivery latency from COMMIT to receipt (a local receiver, a separate worker process), and the
    event feed's throughput through the API."""
    with running_server(database_url, workers, free_port(), log_name="bench-server-webhooks.log") as base:
        token, _ = partner_token(base, database_url, scopes=WEBHOOK_SCOPES)
        bearer = {"Authorization": f"Bearer {token}"}
        partner_id = httpx.get(f"{base}/v1/me", headers=bearer, timeout=10).json()["partner_id"]
        with webhook_receiver() as (url, arrivals), running_worker(database_url):
            created = httpx.post(f"{base}/v1/webhook-endpoints", json={"url": url}, headers=bearer, timeout=10)
            created.raise_for_status()
            time.sleep(2)  # the worker is listening
            print(f"webhooks: {WEBHOOK_EVENTS:,} events at {WEBHOOK_RATE}/s to a local receiver...", flush=True)
            committed = asyncio.run(commit_events(database_url, partner_id))
            deadline = time.monotonic() + 60
            while len(set(committed) & set(arrivals())) < len(committed) and time.monotonic() < deadline:
                time.sleep(0.1)
            arrived = arrivals()
            breakdown = asyncio.run(delivery_breakdown(database_url, created.json()["id"]))
            httpx.delete(f"{base}/v1/webhook-endpoints/{created.json()['id']}", headers=bearer, timeout=10)
        missing = len(set(committed) - set(arrived))
        if missing:
            raise RuntimeError(f"{missing} webhooks never arrived; see .data/bench-worker.log")
        latencies = sorted((arrived[event] - at) * 1000 for event, at in committed.items())
        print(f"webhooks: the feed, {connections} connections for {duration} s...", flush=True)
        feed_url = f"{base}/v1/events?limit=100"
        wrk(feed_url, duration=2, connections=connections, headers=bearer)
        feed = wrk(feed_url, duration=duration, connections=connections, headers=bearer)
    return {
        "webhook_events": WEBHOOK_EVENTS,
        "webhook_commit_rate_per_s": WEBHOOK_RATE,
        "webhook_delivery_p50_ms": round(statistics.median(latencies), 1),
        "webhook_delivery_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "webhook_delivery_max_ms": round(latencies[-1], 1),
        **breakdown,
        "events_feed_rps": feed["rps"],
        "events_feed_p99_ms": feed["p99_ms"],
    }


def machine() -> dict[str, Any]:
    cores = os.cpu_count()
    return {
        "machine": f"{platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}",
        # Other work on the machine skews every figure; a load average near the core count means it was busy.
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sections = ["auth", "catalogue", "redeem", "webhooks"]
    # Checked below, not with `choices`: argparse checks an empty list against `choices` too, and refuses it.
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(sections)} (default: all)")
    parser.add_argument("--courses", type=int, default=50_000, help="approved courses to seed for the catalogue")
    parser.add_argument("--vouchers", type=int, default=1_000_000, help="vouchers in the table for redeem")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per measurement")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="API worker processes")
    args = parser.parse_args()
    if unknown := set(args.sections) - set(sections):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    args.sections = args.sections or sections

    (ROOT / ".data").mkdir(exist_ok=True)
    database_url = bench_database_url()
    asyncio.run(migrate(database_url))
    results: dict[str, Any] = {**machine(), "workers": args.workers, "connections": args.connections}
    if {"auth", "catalogue"} & set(args.sections):
        with running_server(database_url, args.workers, free_port()) as base:
            if "auth" in args.sections:
                results.update(bench_auth(base, database_url, args.duration, args.connections))
            if "catalogue" in args.sections:
                results.update(bench_catalogue(base, database_url, args.duration, args.connections, args.courses))
    if "redeem" in args.sections:  # starts and stops servers of its own: pgbench runs with none
        results.update(bench_redeem(database_url, args.duration, args.connections, args.workers, args.vouchers))
    if "webhooks" in args.sections:
        results.update(bench_webhooks(database_url, args.duration, args.connections, args.workers))
    results["peak_rss_mb_per_worker"] = max(worker_peaks_mb, default=None)
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)

    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(k) for k in results)
    print("\nbenchmark results (also in bench/results.json)")
    for key, value in results.items():
        print(f"  {key.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
