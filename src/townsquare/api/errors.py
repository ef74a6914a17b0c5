"""Errors as Mastodon sends them: `{"error": "..."}` with the right 4xx. Never a traceback."""

from __future__ import annotations

import logging

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("townsquare.api")


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, description: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.description = description
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def unprocessable(message: str) -> ApiError:
    return ApiError(422, message)


def not_found(what: str = "Record") -> ApiError:
    return ApiError(404, f"{what} not found")


def forbidden(message: str = "This action is not allowed") -> ApiError:
    return ApiError(403, message)


def unauthorized(message: str = "The access token is invalid") -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   description: str | None = None) -> Response:
    body: dict[str, str] = {"error": message}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status, headers=headers)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers, exc.description)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "Record not found", 405: "Method not allowed"}
    return error_response(exc.status_code, messages.get(exc.status_code, str(exc.detail)),
                          dict(exc.headers or {}))


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    return error_response(422, f"Validation failed: {exc}")


async def client_gone_handler(request: Request, exc: Exception) -> Response:
    """The client closed its connection before its request was read (a load generator
    stopping, a phone going into a tunnel): nothing was done, nobody is listening, and it is
    not the server's error, so no traceback is logged."""
    log.debug("client disconnected during %s %s", request.method, request.url.path)
    return error_response(400, "The connection closed before the request was read")


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "Internal error: the server failed to answer this request")


HANDLERS: dict[type[Exception] | int, object] = {
    ApiError: api_error_handler,
    ClientDisconnect: client_gone_handler,
    HTTPException: http_error_handler,
    msgspec.ValidationError: validation_error_handler,
}


async def action_error_handler(request: Request, exc: Exception) -> Response:
    from townsquare.actions.errors import ActionError

    assert isinstance(exc, ActionError)
    if exc.status == 401:
        return error_response(401, exc.message, unauthorized().headers)
    return error_response(exc.status, exc.message)


def handlers() -> dict[type[Exception] | int, object]:
    from townsquare.actions.errors import ActionError

    return {**HANDLERS, ActionError: action_error_handler, Exception: unexpected_error_handler}
