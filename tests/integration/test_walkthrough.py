"""The README's first integration, run end to end against a real sandbox server so it can never rot."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from api.jobs.bootstrap import demo_partner_credentials
from api.settings import Settings
from tests.conftest import settings_for
from tests.database import REPO_ROOT


@pytest.fixture
def settings(db_url: str) -> Settings:
    return replace(settings_for(db_url), app_env="sandbox")


def example_client() -> ModuleType:
    path = REPO_ROOT / "examples" / "partner_client.py"
    spec = importlib.util.spec_from_file_location("partner_client", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_example_client_reaches_a_verified_certificate(settings: Settings, live_url: str) -> None:
    demo = await demo_partner_credentials(settings)
    module = example_client()
    with httpx.Client(base_url=live_url, timeout=30) as http:
        client = module.PartnerClient(live_url, demo.client_id, demo.client_secret, http=http)
        lines: list[str] = []
        verification = module.walkthrough(client, log=lines.append)
        claims = module.verify_offline(verification, http.get("/.well-known/jwks.json").json())
    assert verification["status"] == "valid"
    assert claims["vc"]["credentialSubject"]["achievement"]["name"] == "Dasar Digital Marketing"
    assert len(lines) == 12


def readme_walkthrough() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## First integration in 10 calls", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the README walkthrough has its shell blocks"
    return "set -euo pipefail\n" + "\n".join(blocks)


async def test_readme_curl_walkthrough_runs(settings: Settings, live_url: str, tmp_path: Path) -> None:
    # Fails rather than skips: `.ci/run` installs Debian's curl and jq where they are missing.
    missing = [tool for tool in ("curl", "jq") if shutil.which(tool) is None]
    assert not missing, f"{' and '.join(missing)} not installed: `apt-get install -y curl jq` (.ci/run does it)"
    demo = await demo_partner_credentials(settings)
    env = {**os.environ, "API": live_url, "CLIENT_ID": demo.client_id, "CLIENT_SECRET": demo.client_secret}
    script = tmp_path / "walkthrough.sh"
    script.write_text(readme_walkthrough())
    result = subprocess.run(  # noqa: S603
        ["/bin/bash", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert '"status": "valid"' in result.stdout or '"status":"valid"' in result.stdout
