"""The project's own docs: every link resolves inside the repository, and every error code is explained."""

from __future__ import annotations

import re
from pathlib import Path

from api.http.errors import DOMAIN_STATUS, HTTP_STATUS_CODE

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_relative_link_points_to_a_file_in_the_repository() -> None:
    broken = []
    for doc in DOCS:
        for target in _LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # an absolute URL
            resolved = (doc.parent / target).resolve()
            if not resolved.exists() or ROOT not in resolved.parents:
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_no_file_points_outside_the_repository_to_shared_notes() -> None:
    for path in [*DOCS, *ROOT.glob("api/**/*.py"), *ROOT.glob("domain/**/*.py")]:
        assert "../shared" not in path.read_text(encoding="utf-8"), path


def test_every_error_code_is_explained_in_docs_errors() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    codes = set(DOMAIN_STATUS) | {code for code, _ in HTTP_STATUS_CODE.values()}
    codes |= {"idempotency_key_required", "idempotency_key_reused", "idempotency_request_in_progress"}
    assert codes - documented == set()


def test_every_domain_function_the_rules_page_names_exists() -> None:
    """docs/programme.md names the function that enforces each rule; a rename must update the page."""
    import importlib

    text = (ROOT / "docs" / "programme.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(domain\.[a-z_]+\.[A-Za-z_][A-Za-z_.]*)`", text))
    assert named, "docs/programme.md names no domain function"
    missing = []
    for reference in sorted(named):
        module_name, _, path = reference.removeprefix("domain.").partition(".")
        target: object = importlib.import_module(f"domain.{module_name}")
        for part in path.split("."):
            target = getattr(target, part, None)
        if target is None:
            missing.append(reference)
    assert missing == []
