"""The committed OpenAPI document explains itself to a partner developer: every property of every object schema has a
description, and every status-like property lists its values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
# A property with one of these names holds one of a fixed set of values, so the document must list them.
ENUMERATED_NAMES = frozenset({"status", "state", "format", "kind", "role", "type"})
# Problem's `type` is RFC 9457's URI naming the problem (the `code` beside it is the stable key) and its `status` the
# HTTP status code: neither is a state of a resource.
OPEN_SETS = frozenset({("Problem", "type"), ("Problem", "status")})

Schema = dict[str, Any]


def _document() -> Schema:
    document: Schema = json.loads(SPEC.read_text(encoding="utf-8"))
    return document


def _objects(where: str, schema: Any) -> Iterator[tuple[str, Schema]]:
    """Every object schema with properties inside `schema` (itself included), named by its path."""
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("properties"), dict):
        yield where, schema
        for name, child in schema["properties"].items():
            yield from _objects(f"{where}.{name}", child)
    for keyword in ("items", "additionalProperties"):
        yield from _objects(f"{where}[]", schema.get(keyword))
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(keyword, []):
            yield from _objects(where, branch)


def _every_object() -> Iterator[tuple[str, Schema]]:
    document = _document()
    for name, schema in document["components"]["schemas"].items():
        yield from _objects(name, schema)


def _lists_values(schema: Schema, components: dict[str, Schema]) -> bool:
    """True when the schema (or the schema it refers to, or every non-null branch, or its items) is an enum."""
    if "enum" in schema or "const" in schema:
        return True
    if "$ref" in schema:
        return _lists_values(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    branches = [b for b in schema.get("oneOf", schema.get("anyOf", schema.get("allOf", []))) if b != {"type": "null"}]
    if branches:
        return all(_lists_values(branch, components) for branch in branches)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _lists_values(schema["items"], components)
    return False


def test_the_document_has_object_schemas_to_check() -> None:
    assert len(list(_every_object())) > 100


def test_every_property_is_described() -> None:
    undescribed = [
        f"{where}.{name}"
        for where, schema in _every_object()
        for name, prop in schema["properties"].items()
        if not (isinstance(prop, dict) and str(prop.get("description", "")).strip())
    ]
    assert undescribed == []


def test_every_status_like_property_lists_its_values() -> None:
    components = _document()["components"]["schemas"]
    open_ended = [
        f"{where}.{name}"
        for where, schema in _every_object()
        for name, prop in schema["properties"].items()
        if name in ENUMERATED_NAMES and (where, name) not in OPEN_SETS and not _lists_values(prop, components)
    ]
    assert open_ended == []


def test_the_checks_catch_what_they_look_for() -> None:
    components: dict[str, Schema] = {"Status": {"type": "string", "enum": ["a"]}}
    assert _lists_values({"oneOf": [{"$ref": "#/components/schemas/Status"}, {"type": "null"}]}, components)
    assert _lists_values({"type": "array", "items": {"type": "string", "enum": ["x"]}}, components)
    assert not _lists_values({"type": "string"}, components)
    assert not _lists_values({"oneOf": [{"type": "string"}, {"type": "null"}]}, components)
    nested = {"properties": {"a": {"type": "array", "items": {"type": "object", "properties": {"b": {}}}}}}
    assert [where for where, _ in _objects("X", nested)] == ["X", "X.a[]"]
