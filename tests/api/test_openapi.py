"""The OpenAPI document: well formed, complete, and true of the real responses."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Route

from tests.helpers import Client

API_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/health")


async def document(client: Client) -> dict[str, Any]:
    r = await client.get("/api/openapi.json")
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def _template_for(doc: dict[str, Any], path: str) -> str:
    """The document's path template matching a concrete request path."""
    for template in doc["paths"]:
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "/?$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} has no entry in the OpenAPI document")


def check(doc: dict[str, Any], response: httpx.Response) -> Any:
    """Validate a real response's body against the document's schema for its status."""
    method = response.request.method.lower()
    template = _template_for(doc, response.request.url.path)
    op = doc["paths"][template].get(method)
    assert op is not None, f"{method.upper()} {template} is not in the document"
    entry = op["responses"].get(str(response.status_code))
    assert entry is not None, (f"{method.upper()} {template} answered {response.status_code}, "
                               f"which the document does not list: {response.text[:300]}")
    body = response.json()
    if "content" in entry:
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "components": doc["components"],
                  "allOf": [entry["content"]["application/json"]["schema"]]}
        errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
        assert not errors, (f"{method.upper()} {template}: "
                            + "; ".join(f"{list(e.absolute_path)}: {e.message}"
                                        for e in errors[:5]))
    return body


async def test_document_structure(client: Client) -> None:
    doc = await document(client)
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["info"]["version"]
    Draft202012Validator.check_schema({"components": doc["components"]})
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"',
                          httpx.Response(200, json=doc).text))
    assert refs <= set(doc["components"]["schemas"]), refs - set(doc["components"]["schemas"])
    assert "Status" in doc["components"]["schemas"]
    assert "Error" in doc["components"]["schemas"]
    for template, item in doc["paths"].items():
        declared = set(re.findall(r"{([^}]+)}", template))
        for method, op in item.items():
            assert method in {"get", "post", "put", "patch", "delete"}, (template, method)
            assert op["summary"] and op["responses"], (template, method)
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == declared, (template, method)
            assert op["responses"]["404"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
            assert "security" in op
    post = doc["paths"]["/api/v1/statuses"]["post"]
    assert post["security"] == [{"bearer": ["write:statuses"]}]
    assert "multipart/form-data" in post["requestBody"]["content"]
    home = doc["paths"]["/api/v1/timelines/home"]["get"]
    assert home["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


async def test_every_api_route_is_documented(client: Client) -> None:
    doc = await document(client)
    app = client.http._transport.app  # type: ignore[attr-defined]
    missing = []
    for route in app.routes:
        if not isinstance(route, Route) or not route.include_in_schema:
            continue
        if not route.path.startswith(API_PREFIXES):
            continue
        template = re.sub(r"{([^}:]+)(:[^}]+)?}", r"{\1}", route.path)
        for method in route.methods or []:
            if method == "HEAD":
                continue
            if method.lower() not in doc["paths"].get(template, {}):
                missing.append(f"{method} {template}")
    assert not missing, missing


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 80, 40)).save(buf, "PNG")
    return buf.getvalue()


async def test_real_responses_match_the_document(client: Client) -> None:
    """A short tour of the API; every answer validates against its documented schema."""
    doc = await document(client)
    alice = await client.user("alice")
    bob = await client.user("bob")

    async def ok(r: httpx.Response, status: int = 200) -> Any:
        assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.text[:300]}"
        return check(doc, r)

    await ok(await client.get("/api/v1/townsquare/hello"))
    await ok(await client.get("/api/v1/instance"))
    await ok(await client.get("/api/v2/instance"))
    await ok(await client.get("/api/v1/accounts/verify_credentials", as_=alice))
    await ok(await client.get(f"/api/v1/accounts/{bob.id}", as_=alice))
    await ok(await client.get("/api/v1/accounts/lookup", params={"acct": "bob"}))
    await ok(await client.post(f"/api/v1/accounts/{bob.id}/follow", as_=alice))
    await ok(await client.get("/api/v1/accounts/relationships", as_=alice,
                              params={"id[]": [str(bob.id)]}))
    await ok(await client.get(f"/api/v1/accounts/{bob.id}/followers", as_=alice))

    media = await ok(await client.post("/api/v2/media", as_=bob,
                                       files={"file": ("a.png", _png(), "image/png")},
                                       data={"description": "a square", "focus": "0.1,-0.2"}))
    pic = await ok(await client.post("/api/v1/statuses", as_=bob, json={
        "status": "hello #square @alice https://example.org", "media_ids": [media["id"]]}))
    await ok(await client.get(f"/api/v1/statuses/{pic['id']}", as_=alice))
    poll = await ok(await client.post("/api/v1/statuses", as_=bob, json={
        "status": "tea or coffee?", "poll": {"options": ["tea", "coffee"], "expires_in": 3600}}))
    await ok(await client.post(f"/api/v1/polls/{poll['poll']['id']}/votes", as_=alice,
                               json={"choices": ["1"]}))
    await ok(await client.get(f"/api/v1/polls/{poll['poll']['id']}", as_=alice))
    reply = await ok(await client.post("/api/v1/statuses", as_=alice, json={
        "status": "@bob lovely", "in_reply_to_id": pic["id"]}))
    await ok(await client.get(f"/api/v1/statuses/{reply['id']}/context", as_=bob))
    await ok(await client.post(f"/api/v1/statuses/{pic['id']}/favourite", as_=alice))
    await ok(await client.post(f"/api/v1/statuses/{pic['id']}/reblog", as_=alice))
    await ok(await client.post(f"/api/v1/statuses/{pic['id']}/bookmark", as_=alice))
    await ok(await client.post("/api/v1/statuses", as_=alice, json={
        "status": "look at this", "quote_id": pic["id"]}))
    await ok(await client.put(f"/api/v1/statuses/{reply['id']}", as_=alice,
                              json={"status": "@bob lovely, really"}))
    await ok(await client.get(f"/api/v1/statuses/{reply['id']}/history", as_=alice))

    await ok(await client.get("/api/v1/timelines/home", as_=alice))
    await ok(await client.get("/api/v1/timelines/public"))
    await ok(await client.get("/api/v1/timelines/tag/square"))
    await ok(await client.get(f"/api/v1/accounts/{bob.id}/statuses", as_=alice))
    await ok(await client.get("/api/v1/notifications", as_=bob))
    await ok(await client.get("/api/v2/search", as_=alice, params={"q": "square"}))
    await ok(await client.get("/api/v1/favourites", as_=alice))
    await ok(await client.get("/api/v1/bookmarks", as_=alice))

    # Errors are documented too.
    await ok(await client.get("/api/v1/statuses/12345", as_=alice), 404)
    await ok(await client.post("/api/v1/statuses", as_=alice, json={"status": "x" * 600}), 422)
    await ok(await client.get("/api/v1/timelines/home",
                              headers={"Authorization": "Bearer nope"}), 401)


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/openapi.json/"])
async def test_document_is_served_with_and_without_slash(client: Client, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
