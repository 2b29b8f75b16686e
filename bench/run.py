"""The benchmark command: starts the API as production would, drives it with wrk, prints one table.

    python bench/run.py [auth] [--duration 10] [--connections 64] [--workers N]

Figures are ratios measured side by side in one run on one machine, so they mean something on any
machine; absolute numbers are printed too. Results also go to bench/results.json (flat keys).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.bootstrap import create_programme_client  # noqa: E402
from api.database import embedded_server_url  # noqa: E402
from api.migrations import migrate  # noqa: E402
from api.settings import Settings  # noqa: E402

BENCH_DATABASE = "prakerja_bench"
RESULTS = ROOT / "bench" / "results.json"


def bench_database_url() -> str:
    """A database of its own on the configured server (or the embedded one), so runs never touch dev data."""
    configured = os.environ.get("DATABASE_URL")
    if not configured:
        return embedded_server_url(ROOT / ".data", BENCH_DATABASE)
    parts = urlsplit(configured)

    async def ensure() -> None:
        conn = await asyncpg.connect(configured)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", BENCH_DATABASE):
                await conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
        finally:
            await conn.close()

    asyncio.run(ensure())
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(database_url: str, workers: int, port: int) -> Iterator[str]:
    """The API under `python -m api serve`, its production entry point, until the block ends."""
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "development",
        "PUBLIC_URL": base,
        "LOG_LEVEL": "INFO",
        "KEY_ENCRYPTION_KEY": base64.b64encode(b"b" * 32).decode(),
        "DB_POOL_MAX": "20",
    }
    log = (ROOT / ".data" / "bench-server.log").open("w")
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
            raise RuntimeError("the server did not become ready; see .data/bench-server.log")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


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


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value.strip())
    assert match is not None, value
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, *, duration: int, connections: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    """Requests per second and p50/p99 latency (ms) of GETs to `url`; non-2xx responses fail the run."""
    command = [ensure_wrk(), "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx responses from {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


def partner_token(base: str, database_url: str) -> str:
    """A partner access token obtained the way an integration would."""
    settings = Settings(database_url=database_url, app_env="development")
    portal = asyncio.run(create_programme_client(settings, "Bench portal", None))
    with httpx.Client(base_url=base, timeout=30) as http:
        programme = http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(portal.client_id, portal.client_secret)
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {programme}"}
        partner = http.post(
            "/v1/programme/partners",
            json={"name": "Bench partner", "kind": "platform", "contact_email": "bench@example.com"},
            headers=bearer,
        ).json()
        client = http.post(
            f"/v1/programme/partners/{partner['id']}/clients",
            json={"name": "bench", "environment": "sandbox", "scopes": ["courses:read", "vouchers:read"]},
            headers=bearer,
        ).json()
        token: str = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
        ).json()["access_token"]
        return token


def bench_auth(base: str, database_url: str, duration: int, connections: int) -> dict[str, Any]:
    """Throughput of an authenticated endpoint (`/v1/me`) against an unauthenticated one, side by side."""
    token = partner_token(base, database_url)
    bearer = {"Authorization": f"Bearer {token}"}
    wrk(f"{base}/health/live", duration=2, connections=connections)  # warm up both paths
    wrk(f"{base}/v1/me", duration=2, connections=connections, headers=bearer)
    live = wrk(f"{base}/health/live", duration=duration, connections=connections)
    authed = wrk(f"{base}/v1/me", duration=duration, connections=connections, headers=bearer)
    return {
        "health_live_rps": live["rps"],
        "health_live_p99_ms": live["p99_ms"],
        "me_rps": authed["rps"],
        "me_p50_ms": authed["p50_ms"],
        "me_p99_ms": authed["p99_ms"],
        "auth_overhead_ratio": round(authed["rps"] / live["rps"], 3),
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
    from api.services.courses import CATALOGUE_FILTERS, CATALOGUE_FROM

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
    wrk(url, duration=2, connections=connections)
    measured = wrk(url, duration=duration, connections=connections)
    return {
        "catalogue_courses": courses,
        "catalogue_query_matches": matches,
        "catalogue_search_rps": measured["rps"],
        "catalogue_search_p50_ms": measured["p50_ms"],
        "catalogue_search_p99_ms": measured["p99_ms"],
        "catalogue_search_uses_index": "courses_catalogue" in plan,
    }


def machine() -> dict[str, Any]:
    cores = os.cpu_count()
    return {"machine": f"{platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", default=["auth", "catalogue"], choices=["auth", "catalogue"])
    parser.add_argument("--courses", type=int, default=50_000, help="approved courses to seed for the catalogue")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per measurement")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="API worker processes")
    args = parser.parse_args()

    (ROOT / ".data").mkdir(exist_ok=True)
    database_url = bench_database_url()
    asyncio.run(migrate(database_url))
    results: dict[str, Any] = {**machine(), "workers": args.workers, "connections": args.connections}
    with running_server(database_url, args.workers, free_port()) as base:
        if "auth" in args.sections:
            results.update(bench_auth(base, database_url, args.duration, args.connections))
        if "catalogue" in args.sections:
            results.update(bench_catalogue(base, database_url, args.duration, args.connections, args.courses))

    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(k) for k in results)
    print("\nbenchmark results (also in bench/results.json)")
    for key, value in results.items():
        print(f"  {key.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
