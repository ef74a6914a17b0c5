"""/api/v1/media and /api/v2/media: upload images, view and describe them; and /media/{name},
which serves stored files with headers that keep them inert (no sniffing, no scripts)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from townsquare.actions.media import check_size, update_media, upload_media
from townsquare.api import auth, params
from townsquare.api.entities import MediaAttachment
from townsquare.api.errors import ApiError, error_response, not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries.statuses import media_entity
from townsquare.store.tables import media

r = Routes()

# Stored names are random tokens with a known extension; nothing else is ever served.
_NAME = re.compile(r"^[A-Za-z0-9_-]{8,64}\.(jpg|png|webp|gif)$")
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
FILE_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
}


class MediaParams(msgspec.Struct):
    """Multipart: `file` (the image) plus these."""

    description: str | None = None
    focus: str | None = None


async def _entity(ctx: Context, media_id: int, owner: int) -> MediaAttachment:
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(media).where(
            media.c.id == media_id, media.c.account_id == owner))).first()
    if row is None:
        raise not_found("Media")
    return media_entity(ctx, row)


async def _upload(request: Request) -> Response:
    viewer = await auth.require_user(request, "write:media")
    data: dict[str, Any] = await params.read(request)
    upload = data.pop("file", None)
    if isinstance(upload, list):
        upload = upload[-1] if upload else None
    if not isinstance(upload, UploadFile):
        raise ApiError(422, "Validation failed: file is missing (send it as multipart `file`)")
    p = params.convert(data, MediaParams)
    ctx = auth.ctx_of(request)
    if upload.size is not None:
        check_size(ctx.settings, upload.size)  # refuse before reading it all
    content = await upload.read()
    media_id = await upload_media(ctx, viewer, content, description=p.description,
                                  focus=p.focus)
    # Processing is synchronous, so the attachment is ready: 200, not 202.
    return ok(await _entity(ctx, media_id, viewer))


@r.post("/api/v2/media", params=MediaParams, response=MediaAttachment, scope="write:media")
async def upload_v2(request: Request) -> Response:
    """Upload an image (JPEG, PNG, WebP, GIF) to attach to a post."""
    return await _upload(request)


@r.post("/api/v1/media", params=MediaParams, response=MediaAttachment, scope="write:media")
async def upload_v1(request: Request) -> Response:
    """Upload an image (the older path; same as v2)."""
    return await _upload(request)


@r.get("/api/v1/media/{id}", response=MediaAttachment, scope="write:media")
async def get_media(request: Request) -> Response:
    """View one of your uploads."""
    viewer = await auth.require_user(request, "write:media")
    media_id = params.parse_id(request.path_params["id"], "Media")
    return ok(await _entity(auth.ctx_of(request), media_id, viewer))


@r.put("/api/v1/media/{id}", params=MediaParams, response=MediaAttachment, scope="write:media")
async def put_media(request: Request) -> Response:
    """Describe an upload or set its focal point, until it is attached to a post."""
    viewer = await auth.require_user(request, "write:media")
    media_id = params.parse_id(request.path_params["id"], "Media")
    p = await params.parse(request, MediaParams)
    ctx = auth.ctx_of(request)
    await update_media(ctx, viewer, media_id, description=p.description, focus=p.focus)
    return ok(await _entity(ctx, media_id, viewer))


def file_routes(ctx: Context) -> list[Route]:
    """GET /media/{name}: stored files, immutable (names are never reused)."""

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        match = _NAME.match(name)
        if match is None:
            return error_response(404, "Record not found")
        path = ctx.files.path(name)
        if not path.is_file():
            return error_response(404, "Record not found")
        return FileResponse(path, media_type=_TYPES[match.group(1)], headers=FILE_HEADERS)

    return [Route("/media/{name}", serve, methods=["GET", "HEAD"])]


routes = r.routes
