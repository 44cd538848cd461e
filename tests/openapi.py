"""Check real API responses against the OpenAPI schema drf-spectacular generates (the one /api/v1/schema/ serves).

OpenAPI 3.0 schema objects are JSON Schema with a few differences; `nullable` is the one that matters
here, and is turned into JSON Schema's `"null"` type before validating with jsonschema.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

API_PREFIX = "/api/v1/"
UNCHECKED = ("/api/v1/schema/", "/api/v1/docs/")


@cache
def openapi_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema 2020-12 (nullable becomes a "null" alternative)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "type" not in out:
            return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _components() -> dict[str, Any]:
    return _json_schema(openapi_schema().get("components", {}))


@cache
def _operations() -> list[tuple[re.Pattern[str], str, str]]:
    found = []
    for template, item in openapi_schema()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((pattern, template, method))
    return found


def operations() -> set[tuple[str, str]]:
    """Every (METHOD, path template) the schema documents."""
    return {(method.upper(), template) for _, template, method in _operations()}


def operation_for(method: str, path: str) -> tuple[str, str] | None:
    for pattern, template, op_method in _operations():
        if op_method == method.lower() and pattern.match(path):
            return method.upper(), template
    return None


def check_response(method: str, path: str, status: int, content_type: str, body: bytes) -> tuple[str, str] | None:
    """Raise AssertionError unless a successful response matches its documented status and body schema.

    Returns the operation checked, or None for responses that are not checked (errors, schema and docs).
    """
    if not path.startswith(API_PREFIX) or path.startswith(UNCHECKED) or not 200 <= status < 300:
        return None
    op = operation_for(method, path)
    assert op is not None, f"{method} {path} answered {status} but the schema documents no such operation"
    responses = openapi_schema()["paths"][op[1]][op[0].lower()]["responses"]
    assert str(status) in responses, (
        f"{method} {op[1]} answered {status}; the schema documents only {sorted(responses)}"
    )
    content = responses[str(status)].get("content")
    if not content:
        assert not body, f"{method} {op[1]} {status}: the schema documents no body, but one came"
        return op
    assert "json" in content_type, f"{method} {op[1]} {status}: expected JSON, got {content_type}"
    schema = _json_schema(next(iter(content.values()))["schema"])
    validator = Draft202012Validator({**schema, "components": _components()})
    errors = sorted(validator.iter_errors(json.loads(body)), key=lambda e: list(e.absolute_path))
    if errors:
        raise AssertionError(
            f"{method} {op[1]} {status} does not match its schema:\n" + "\n".join(_describe(e) for e in errors[:10])
        )
    return op


def _describe(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    return f"  at {where}: {error.message[:300]}"
