"""Uploading images: media attachments and profile pictures.

Every upload is decoded by Pillow (the content decides the type, never the name), bounded in
bytes and in pixels (decompression bombs are refused before decoding), turned upright by its
EXIF orientation and then re-encoded from pixels only, so no metadata (EXIF, GPS, comments)
survives. The slow image work runs in a worker thread, outside any transaction; files are
written atomically under random names, and removed again if the database write fails.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import anyio.to_thread
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, insert, select, update

from townsquare.actions.errors import ActionError, Invalid, NotFound
from townsquare.config import Settings
from townsquare.context import Context
from townsquare.store.tables import accounts, media, status_edits, statuses

FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_SIDE = 4096
MAX_DESCRIPTION = 1500
ORPHAN_AGE = timedelta(days=1)  # unattached uploads older than this are removed
ORPHAN_BATCH = 500
PROFILE_SIZES = {"avatar": (400, 400), "header": (1500, 500)}


class TooLarge(ActionError):
    status = 413


@dataclass(frozen=True)
class Encoded:
    data: bytes
    ext: str
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    original: Encoded
    preview: Encoded


def check_size(settings: Settings, size: int) -> None:
    if size > settings.max_image_bytes:
        raise TooLarge(f"File is too large: the limit is {settings.max_image_bytes} bytes")


def _open(data: bytes, settings: Settings) -> Image.Image:
    """Decode the first frame, refusing anything that is not a bounded still image."""
    check_size(settings, len(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data))
            if im.format not in FORMATS:
                raise Invalid("Validation failed: unsupported file type "
                              "(JPEG, PNG, WebP or GIF images only)")
            if im.width * im.height > settings.max_image_pixels:
                raise Invalid(f"Validation failed: image is too large ({im.width}x{im.height}"
                              f" pixels; at most {settings.max_image_pixels} pixels)")
            im.seek(0)
            im.load()
        except (UnidentifiedImageError, Image.DecompressionBombError,
                Image.DecompressionBombWarning):
            raise Invalid("Validation failed: the file is not an image we can read") from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise Invalid("Validation failed: the image is damaged or truncated") from None
    return im


def _clean(im: Image.Image) -> Image.Image:
    """Upright, and pixels only: a fresh image carries none of the source's metadata."""
    im = ImageOps.exif_transpose(im) or im
    alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    pixels = im.convert("RGBA" if alpha else "RGB")
    fresh = Image.new(pixels.mode, pixels.size)
    fresh.paste(pixels)
    return fresh


def _encode(im: Image.Image) -> Encoded:
    buf = io.BytesIO()
    if im.mode == "RGBA":
        im.save(buf, "PNG", optimize=True)
        return Encoded(buf.getvalue(), "png", "image/png", im.width, im.height)
    im.save(buf, "JPEG", quality=85, optimize=True, progressive=True)
    return Encoded(buf.getvalue(), "jpg", "image/jpeg", im.width, im.height)


def process_attachment(data: bytes, settings: Settings) -> Processed:
    im = _clean(_open(data, settings))
    original = im.copy()
    original.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    preview = im.copy()
    preview.thumbnail((settings.preview_size, settings.preview_size), Image.Resampling.LANCZOS)
    return Processed(_encode(original), _encode(preview))


def process_profile_image(data: bytes, settings: Settings, size: tuple[int, int]) -> Encoded:
    im = _clean(_open(data, settings))
    return _encode(ImageOps.fit(im, size, Image.Resampling.LANCZOS))


def _name(ext: str) -> str:
    return f"{secrets.token_urlsafe(18)}.{ext}"


def parse_focus(raw: str | None) -> tuple[float, float] | None:
    """Mastodon's focal point "x,y", each in -1..1."""
    if raw is None or raw.strip() == "":
        return None
    try:
        x, y = (float(v) for v in raw.split(","))
    except ValueError:
        raise Invalid('Validation failed: focus must be two numbers, "x,y"') from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise Invalid("Validation failed: focus values must be between -1 and 1")
    return x, y


def check_description(description: str | None) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise Invalid(f"Validation failed: description is longer than {MAX_DESCRIPTION} "
                      "characters")


async def upload_media(ctx: Context, account_id: int, data: bytes, *,
                       description: str | None = None, focus: str | None = None) -> int:
    """Store an image attachment (not yet attached to a post); returns its id."""
    check_description(description)
    point = parse_focus(focus) or (0.0, 0.0)
    done = await anyio.to_thread.run_sync(process_attachment, data, ctx.settings)
    names = (_name(done.original.ext), _name(done.preview.ext))

    def save() -> None:
        ctx.files.save(names[0], done.original.data)
        ctx.files.save(names[1], done.preview.data)

    await anyio.to_thread.run_sync(save)
    media_id = ctx.ids.next()
    try:
        async with ctx.db.write() as tx:
            await tx.execute(insert(media).values(
                id=media_id, account_id=account_id, status_id=None, position=0, type="image",
                mime=done.original.mime, file_name=names[0], preview_name=names[1],
                size=len(done.original.data), width=done.original.width,
                height=done.original.height, preview_width=done.preview.width,
                preview_height=done.preview.height, description=description or None,
                focus_x=point[0], focus_y=point[1], blurhash=None,
                created_at=ctx.clock.now()))
    except BaseException:
        for name in names:
            ctx.files.delete(name)
        raise
    return media_id


async def update_media(ctx: Context, account_id: int, media_id: int, *,
                       description: str | None = None, focus: str | None = None) -> None:
    """Change an upload's description or focus; only its owner, only until it is attached
    (after that the post's edit changes it), as on Mastodon."""
    check_description(description)
    point = parse_focus(focus)
    values: dict[str, object] = {}
    if description is not None:
        values["description"] = description or None
    if point is not None:
        values["focus_x"], values["focus_y"] = point
    async with ctx.db.write() as tx:
        row = (await tx.execute(select(media.c.id).where(
            media.c.id == media_id, media.c.account_id == account_id,
            media.c.status_id.is_(None)))).first()
        if row is None:
            raise NotFound("Media")
        if values:
            await tx.execute(update(media).where(media.c.id == media_id).values(**values))


async def set_profile_image(ctx: Context, account_id: int, kind: Literal["avatar", "header"],
                            data: bytes, filename: str) -> None:
    """Replace the account's avatar (400x400) or header (1500x500); the old file is deleted
    once the new one is committed. `filename` is only informative: the content decides."""
    size = PROFILE_SIZES[kind]
    done = await anyio.to_thread.run_sync(process_profile_image, data, ctx.settings, size)
    name = _name(done.ext)
    await anyio.to_thread.run_sync(ctx.files.save, name, done.data)
    column = accounts.c.avatar_file if kind == "avatar" else accounts.c.header_file
    try:
        async with ctx.db.write() as tx:
            old = (await tx.execute(select(column).where(accounts.c.id == account_id))
                   ).first()
            if old is None:
                raise NotFound("Account")
            await tx.execute(update(accounts).where(accounts.c.id == account_id)
                             .values({column.name: name, "updated_at": ctx.clock.now()}))
            previous = old[0]

            async def remove_old() -> None:
                if previous:
                    ctx.files.delete(previous)

            tx.after_commit(remove_old)
    except BaseException:
        ctx.files.delete(name)
        raise


async def delete_orphan_media(ctx: Context) -> int:
    """Remove uploads unattached for a day (never used, or left by a deleted post) and their
    files. Media an edit took off a post are kept while the post's history shows them."""
    cutoff = ctx.clock.now() - ORPHAN_AGE
    async with ctx.db.write() as tx:
        candidates = (await tx.execute(
            select(media.c.id, media.c.account_id).where(
                media.c.status_id.is_(None), media.c.created_at < cutoff)
            .limit(ORPHAN_BATCH))).all()
        if not candidates:
            return 0
        owners = {r.account_id for r in candidates}
        in_history = {int(m) for (ids,) in (await tx.execute(
            select(status_edits.c.media_ids)
            .join(statuses, statuses.c.id == status_edits.c.status_id)
            .where(statuses.c.account_id.in_(owners)))).all() for m in (ids or [])}
        doomed = [r.id for r in candidates if r.id not in in_history]
        if not doomed:
            return 0
        rows = (await tx.execute(
            delete(media).where(media.c.id.in_(doomed))
            .returning(media.c.file_name, media.c.preview_name))).all()
        names = [n for row in rows for n in row]

        async def remove() -> None:
            for n in names:
                ctx.files.delete(n)

        tx.after_commit(remove)
    return len(rows)
