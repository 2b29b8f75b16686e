"""Hand-written OpenAPI examples, one module per audience, each with an `EXAMPLES` mapping by operation id.

Examples are written by people for people (Indonesian course titles, real rupiah amounts, codes in the real
format); nothing here is generated. `api/http/openapi.py` attaches them to the document, and the spec lint in
the test suite checks that every operation has one and that each validates against its schema.
"""

from __future__ import annotations

import importlib
import pkgutil

from api.http.examples.model import Example


def examples_by_operation() -> dict[str, Example]:
    """Every module's `EXAMPLES` of this package in one mapping by operation id (a module without one, such as
    `problems`, is skipped). An operation described in two modules is a mistake, refused at once."""
    merged: dict[str, Example] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        examples: dict[str, Example] | None = getattr(module, "EXAMPLES", None)
        for operation_id, example in (examples or {}).items():
            if operation_id in merged:
                raise ValueError(f"{operation_id} has examples in two modules; keep the one of its audience")
            merged[operation_id] = example
    return merged
