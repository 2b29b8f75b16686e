"""The layering of docs/architecture.md: every import points down, never up or sideways into a higher layer."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A module may import from its own layer and from any layer listed before it.
LAYERS = (
    "domain",
    "api.settings",
    "api.db",
    "api.http",
    "api.auth",
    "api.schemas",
    "api.services",
    "api.routes",
    "api.jobs",
    "api.app",
    "api.__main__",
)


def layer_of(module: str) -> int | None:
    """The index of the layer `module` belongs to (the longest matching prefix), None outside the project."""
    matches = [
        (len(prefix), index)
        for index, prefix in enumerate(LAYERS)
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(matches)[1] if matches else None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend([node.module] + [f"{node.module}.{alias.name}" for alias in node.names])
    return found


def test_every_import_points_down() -> None:
    upward = []
    for path in sorted([*ROOT.glob("api/**/*.py"), *ROOT.glob("domain/**/*.py")]):
        source = module_name(path)
        own = layer_of(source)
        if source in ("api", "domain"):
            continue  # the package markers import nothing
        assert own is not None, f"{source} belongs to no layer: add it to LAYERS and docs/architecture.md"
        for target in imports_of(path):
            # `from api.services import vouchers` names a module; judge the deepest name that is one.
            rank = layer_of(target)
            if rank is not None and rank > own:
                upward.append(f"{source} -> {target}")
    assert upward == [], "\n".join(upward)


def test_domain_imports_no_framework() -> None:
    frameworks = ("litestar", "asyncpg", "authlib", "api")
    for path in ROOT.glob("domain/**/*.py"):
        for target in imports_of(path):
            assert not target.startswith(frameworks), f"{module_name(path)} imports {target}"


def test_the_portal_reaches_api_data_only_over_http() -> None:
    """The portal is a client of the API: no service, database module or driver import of the API's."""
    forbidden = ("api", "asyncpg")
    allowed_driver_users = {"portal.sessions", "portal.app"}  # the portal's own session table, not API data
    found = []
    for path in sorted(ROOT.glob("portal/**/*.py")):
        source = module_name(path)
        for target in imports_of(path):
            root = target.split(".")[0]
            if root == "api" or (root in forbidden and source not in allowed_driver_users):
                found.append(f"{source} -> {target}")
    assert found == [], "\n".join(found)
