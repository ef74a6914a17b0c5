"""GET /api/openapi.json: the OpenAPI 3.1 document of the API, built from the same msgspec
types the handlers parse and encode (routing.SPECS), so it cannot drift from the responses."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare import __version__
from townsquare.api.entities import Error
from townsquare.api.routing import SPECS, ApiSpec, Routes

r = Routes()

REF = "#/components/schemas/{name}"
_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
_ERRORS = {"400": "Malformed request", "401": "Missing or invalid access token",
           "403": "Outside the token's scopes, or not allowed",
           "404": "No such record, or not visible to you", "422": "Validation failed"}


def _openapi_path(path: str) -> str:
    """Starlette's `{id:int}` to OpenAPI's `{id}`."""
    return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        is_array = prop.get("type") == "array"
        out.append({"name": name + "[]" if is_array else name, "in": "query",
                    "required": name in required, "schema": prop})
    return out


def _operation(spec: ApiSpec, params_ref: dict[str, Any] | None,
               params_schema: dict[str, Any] | None,
               response_schema: dict[str, Any] | None) -> dict[str, Any]:
    op_id = spec.method.lower() + re.sub(r"[^a-zA-Z0-9]+", "_", spec.path).rstrip("_")
    op: dict[str, Any] = {"summary": spec.summary, "operationId": op_id,
                          "tags": [spec.path.split("/")[3] if spec.path.startswith("/api/v")
                                   else spec.path.strip("/").split("/")[0] or "root"]}
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in _PATH_PARAM.findall(spec.path)]
    if params_schema is not None and params_ref is not None:
        if spec.method in ("GET", "DELETE"):
            parameters.extend(_query_parameters(params_schema))
        else:
            # Clients send JSON, urlencoded forms or multipart; all decode to one Struct.
            op["requestBody"] = {"content": {
                media: {"schema": params_ref}
                for media in ("application/json", "application/x-www-form-urlencoded",
                              "multipart/form-data")}}
    if parameters:
        op["parameters"] = parameters
    success: dict[str, Any] = {"description": "OK"}
    if response_schema is not None:
        success["content"] = {"application/json": {"schema": response_schema}}
    error = {"content": {"application/json": {"schema": {"$ref": REF.format(name="Error")}}}}
    op["responses"] = {str(spec.status): success,
                       **{code: {"description": text, **error} for code, text in _ERRORS.items()}}
    if spec.scope is not None:
        op["security"] = [{"bearer": [spec.scope]}]
    else:
        op["security"] = [{}, {"bearer": []}]  # public; a token, if sent, must be valid
    return op


def build_document(base_url: str = "") -> dict[str, Any]:
    specs = sorted({(s.path, s.method): s for s in SPECS}.values(),
                   key=lambda s: (s.path, s.method))
    # One schema_components call for every type, so shared entities become shared components.
    types: list[Any] = [Error]
    for s in specs:
        if s.params is not None:
            types.append(s.params)
        if s.response is not None:
            types.append(s.response)
    schemas, components = msgspec.json.schema_components(types, ref_template=REF)
    by_type = iter(schemas[1:])
    paths: dict[str, dict[str, Any]] = {}
    for s in specs:
        params_ref = next(by_type) if s.params is not None else None
        params_schema = components_of(params_ref, components) if params_ref else None
        response_schema = next(by_type) if s.response is not None else None
        paths.setdefault(_openapi_path(s.path), {})[s.method.lower()] = _operation(
            s, params_ref, params_schema, response_schema)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "townsquare API", "version": __version__,
                 "description": "The Mastodon client API as townsquare implements it, plus "
                                "townsquare's own extensions under /api/v1/townsquare/."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {
                "type": "oauth2",
                "description": "OAuth 2 bearer token (Authorization: Bearer ...).",
                "flows": {"authorizationCode": {
                    "authorizationUrl": base_url + "/oauth/authorize",
                    "tokenUrl": base_url + "/oauth/token", "scopes": _scopes()}}}},
        },
    }
    if base_url:
        doc["servers"] = [{"url": base_url}]
    return doc


def components_of(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A params Struct's inline schema (its properties), for query parameters and bodies."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = components[ref.rsplit("/", 1)[1]]
    return resolved


def _scopes() -> dict[str, str]:
    from townsquare.api.scopes import ALL

    return {s: s for s in sorted(ALL)}


_cache: dict[str, bytes] = {}


@r.get("/api/openapi.json")
async def openapi_document(request: Request) -> Response:
    """The OpenAPI 3.1 document of this API."""
    base = request.app.state.ctx.settings.base_url
    if base not in _cache:
        _cache[base] = msgspec.json.encode(build_document(base))
    return Response(_cache[base], media_type="application/json")


routes = r.routes
