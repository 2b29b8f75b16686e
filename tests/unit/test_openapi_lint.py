"""The spec lint: the committed OpenAPI document teaches with hand-written examples that are true.

Reads openapi/openapi.json (test_openapi_drift keeps it equal to what the code serves), no server. Every operation
has a request and response example from `api/http/examples/`; every example validates against its schema; every
error response shows one example of its own status and of a code it documents; and nothing in the document is an
example that nobody wrote (Litestar's generator, or a leftover). A new rule over the document is one more test
function over `operations()`, `responses()`, `media_types()` or `component_schemas()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema_rs
import msgspec
import pytest

from api.http.errors import problem_title
from api.http.examples import examples_by_operation
from api.http.examples.problems import DETAILS, OAUTH_DETAILS
from tests.database import REPO_ROOT

METHODS = ("get", "put", "post", "delete", "patch")
_LISTED_CODE = re.compile(r"`([a-z_]+)`")


@cache
def document() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((REPO_ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    return spec


def operations() -> Iterator[tuple[str, dict[str, Any]]]:
    """(`METHOD /path`, operation) for every operation of the document."""
    for path, item in document()["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def responses(operation: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    for status, response in operation.get("responses", {}).items():
        yield int(status), response


def media_types(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, media type object) of the request body and of every response, where naming the status."""
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        yield f"request {media_type}", media
    for status, response in responses(operation):
        for media_type, media in response.get("content", {}).items():
            yield f"{status} {media_type}", media


def component_schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = document()["components"]["schemas"]
    return schemas


def resolved(example: dict[str, Any]) -> dict[str, Any]:
    """An Example Object, following a `$ref` into `components/examples`."""
    if "$ref" in example:
        name = example["$ref"].removeprefix("#/components/examples/")
        shared: dict[str, Any] = document()["components"]["examples"][name]
        return shared
    return example


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    """What is wrong with `value` under `schema`, whose `$ref`s point into the document's components."""
    validator = jsonschema_rs.Draft202012Validator(
        {**schema, "components": document()["components"]}, validate_formats=True
    )
    return [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(value)]


def documented_codes(response: dict[str, Any]) -> list[str]:
    """The codes an error response lists in its description, after "`code`:"."""
    return _LISTED_CODE.findall(response.get("description", "").split("`code`:", 1)[-1])


OPERATIONS = dict(operations())


@pytest.mark.parametrize("where", OPERATIONS)
def test_every_operation_has_its_hand_written_example(where: str) -> None:
    """Fails for an operation no module of api/http/examples/ describes (each audience has its module)."""
    assert OPERATIONS[where]["operationId"] in examples_by_operation(), f"{where} has no entry in api/http/examples"


def test_no_example_describes_an_operation_that_does_not_exist() -> None:
    operation_ids = {operation["operationId"] for operation in OPERATIONS.values()}
    assert set(examples_by_operation()) - operation_ids == set()


@pytest.mark.parametrize("where", OPERATIONS)
def test_every_operation_shows_a_success_example(where: str) -> None:
    operation = OPERATIONS[where]
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        assert media.get("examples"), f"{where}: the {media_type} request body has no example"
    for status, response in responses(operation):
        if status < 300 and response.get("content"):
            shown = [media for media in response["content"].values() if media.get("examples")]
            assert shown, f"{where}: the {status} response has no example"
    for place, media in media_types(operation):
        for name, example in media.get("examples", {}).items():
            assert resolved(example).get("summary"), f"{where}: the {place} example {name} has no summary"


@pytest.mark.parametrize("where", OPERATIONS)
def test_every_example_validates_against_its_schema(where: str) -> None:
    problems = []
    for place, media in media_types(OPERATIONS[where]):
        for name, example in media.get("examples", {}).items():
            for error in schema_errors(media.get("schema", {}), resolved(example)["value"]):
                problems.append(f"{place} example {name} {error}")
    assert problems == [], f"{where}: " + "\n".join(problems)


@pytest.mark.parametrize("where", OPERATIONS)
def test_every_error_example_shows_its_own_status_and_a_code_it_documents(where: str) -> None:
    for status, response in responses(OPERATIONS[where]):
        if status < 400:
            continue
        codes = documented_codes(response)
        assert codes, f"{where}: the {status} response lists no code"
        for media_type, media in response.get("content", {}).items():
            examples = [resolved(example)["value"] for example in media.get("examples", {}).values()]
            assert len(examples) == 1, f"{where}: the {status} {media_type} response needs exactly one example"
            body = examples[0]
            assert body["code"] == codes[0], f"{where}: the {status} example shows {body['code']}, not {codes[0]}"
            if "success" in body:  # the compatibility layer's envelope
                assert body["success"] is False
                continue
            assert body["status"] == status, f"{where}: the {status} example says status {body['status']}"
            assert body["type"] == f"urn:prakerja:problem:{body['code']}"
            assert body["title"] == problem_title(status, body["code"])


def _written_by_hand(operation: dict[str, Any], status: int | None, value: Any) -> bool:
    """True when `value` is what api/http/examples/ says for this place: the operation's request (status None) or
    success response, or an error body whose detail (or message) is the hand-written one for its code."""
    if status is not None and status >= 400:
        detail = DETAILS.get(value["code"])
        if "success" in value:  # the compatibility layer's envelope: the detail is its message or its data's detail
            return detail is not None and detail in (value["message"], value["data"].get("detail"))
        return detail is not None and value.get("detail") in (detail, OAUTH_DETAILS.get(value["code"]))
    example = examples_by_operation().get(operation["operationId"])
    if example is None:
        return False
    return value == (example.request if status is None else example.response)


def _declared_property_examples() -> dict[str, dict[str, list[Any]]]:
    """The property examples msgspec reports for every Struct of api/schemas (declared with `Meta(examples=...)`),
    by component name and property."""
    import importlib
    import pkgutil

    import api.schemas

    structs: list[type[msgspec.Struct]] = []
    for module_info in pkgutil.iter_modules(api.schemas.__path__):
        module = importlib.import_module(f"api.schemas.{module_info.name}")
        structs += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, msgspec.Struct) and value.__module__ == module.__name__
        ]
    _, components = msgspec.json.schema_components(
        [struct for struct in structs if not getattr(struct, "__parameters__", ())]
    )
    return {
        name: {field: _examples_within(schema) for field, schema in component.get("properties", {}).items()}
        for name, component in components.items()
    }


def _examples_within(schema: Any) -> list[Any]:
    """Every `examples` list in a schema and its subschemas (msgspec puts an optional field's inside `anyOf`)."""
    if isinstance(schema, list):
        return [found for item in schema for found in _examples_within(item)]
    if not isinstance(schema, dict):
        return []
    own = [schema["examples"]] if "examples" in schema else []
    return own + [found for key, value in schema.items() if key != "examples" for found in _examples_within(value)]


def test_no_example_in_the_document_was_generated() -> None:
    """Every `example`/`examples` is one of the hand-written ones: an operation's, an error's (from the detail table),
    or a property example declared in api/schemas. Anything else came from a generator."""
    stray = []
    for where, operation in OPERATIONS.items():
        for parameter in operation.get("parameters", []):
            if "example" in parameter or "examples" in parameter:
                stray.append(f"{where} parameter {parameter['name']}")
        places: list[tuple[int | None, dict[str, Any]]] = [
            (None, media) for media in operation.get("requestBody", {}).get("content", {}).values()
        ]
        places += [
            (status, media)
            for status, response in responses(operation)
            for media in response.get("content", {}).values()
        ]
        for status, media in places:
            if "example" in media:
                stray.append(f"{where} {status} example")
            for name, example in media.get("examples", {}).items():
                if not _written_by_hand(operation, status, resolved(example)["value"]):
                    stray.append(f"{where} {status or 'request'} {name}")
    declared = _declared_property_examples()
    for name, schema in component_schemas().items():
        if "example" in schema or "examples" in schema:
            stray.append(f"schema {name}")
        for field, property_schema in schema.get("properties", {}).items():
            if "example" in property_schema:
                stray.append(f"schema {name}.{field} example")
            if "examples" in property_schema and property_schema["examples"] not in declared.get(name, {}).get(
                field, []
            ):
                stray.append(f"schema {name}.{field} examples")
    assert stray == []


def test_every_shared_error_example_is_used_and_written() -> None:
    shared = document()["components"].get("examples", {})
    used = {
        example["$ref"].removeprefix("#/components/examples/")
        for _, operation in operations()
        for _, media in media_types(operation)
        for example in media.get("examples", {}).values()
        if "$ref" in example
    }
    assert set(shared) == used
    for name, example in shared.items():
        written = OAUTH_DETAILS if name.startswith("oauth-") else DETAILS
        code = example["value"]["code"]
        assert example["value"].get("detail") == written.get(code, DETAILS[code]), name
