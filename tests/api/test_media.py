"""Media: uploads are checked by content, bounded in bytes and pixels, stripped of metadata
(EXIF GPS included) and turned upright; files are served inert; attach, edit, delete."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from sqlalchemy import select

from tests.helpers import Client, User, row_counts
from townsquare.actions.errors import Invalid
from townsquare.actions.media import delete_orphan_media, set_profile_image
from townsquare.store.tables import accounts, media

GPS = 0x8825
ORIENTATION = 0x0112


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (40, 20), *, gps: bool = False,
                orientation: int | None = None, mode: str = "RGB") -> bytes:
    im = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128))
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if gps or orientation:
        exif = Image.Exif()
        if orientation:
            exif[ORIENTATION] = orientation
        if gps:
            exif[GPS] = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)}
        kwargs["exif"] = exif.tobytes()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


async def upload(client: Client, user: User, data: bytes, name: str = "x.jpg",
                 **fields: str) -> Any:
    return await client.post("/api/v2/media", as_=user, files={"file": (name, data)},
                             data=fields or None)


async def stored(client: Client, url: str) -> Any:
    path = url.replace("http://testserver", "")
    return await client.get(path)


async def test_upload_strips_gps_and_orients(client: Client) -> None:
    alice = await client.user("alice")
    original = image_bytes(gps=True, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS)  # the input has GPS
    r = await upload(client, alice, original, description="a red box", focus="0.5,-0.25")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "image" and body["description"] == "a red box"
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    # Orientation 6 means "rotate 90°": stored upright, 20x40.
    assert body["meta"]["original"]["width"] == 20 and body["meta"]["original"]["height"] == 40
    f = await stored(client, body["url"])
    assert f.status_code == 200 and f.headers["content-type"] == "image/jpeg"
    assert f.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert f.headers["x-content-type-options"] == "nosniff"
    assert f.headers["content-security-policy"].startswith("default-src 'none'")
    saved = Image.open(io.BytesIO(f.content))
    assert not saved.getexif() and b"Exif" not in f.content
    assert saved.size == (20, 40)
    preview = await stored(client, body["preview_url"])
    assert preview.status_code == 200

    got = await client.get(f"/api/v1/media/{body['id']}", as_=alice)
    assert got.json()["id"] == body["id"]
    bob = await client.user("bob")
    assert (await client.get(f"/api/v1/media/{body['id']}", as_=bob)).status_code == 404


async def test_png_webp_and_gif_are_accepted(client: Client) -> None:
    alice = await client.user("alice")
    for fmt, mode, mime in (("PNG", "RGBA", "image/png"), ("WEBP", "RGB", "image/jpeg"),
                            ("GIF", "RGB", "image/jpeg")):
        r = await upload(client, alice, image_bytes(fmt, mode=mode), name="whatever.bin")
        assert r.status_code == 200, (fmt, r.text)
        f = await stored(client, r.json()["url"])
        assert f.headers["content-type"] == mime


async def test_bad_uploads_are_refused_and_change_nothing(client: Client) -> None:
    alice = await client.user("alice")
    before = await row_counts(client.ctx)
    files_before = sorted(p.name for p in client.ctx.settings.media_dir.glob("*")) \
        if client.ctx.settings.media_dir.exists() else []
    r = await upload(client, alice, b"<html><script>alert(1)</script></html>", name="x.png")
    assert r.status_code == 422 and "image" in r.json()["error"]
    r = await upload(client, alice, image_bytes()[:60])
    assert r.status_code == 422
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, "BMP")
    assert (await upload(client, alice, bmp.getvalue())).status_code == 422
    assert (await upload(client, alice, image_bytes(), description="d" * 1501)).status_code == 422
    assert (await upload(client, alice, image_bytes(), focus="2,0")).status_code == 422
    assert (await upload(client, alice, image_bytes(), focus="left")).status_code == 422
    r = await client.post("/api/v2/media", as_=alice, data={"description": "no file"})
    assert r.status_code == 422

    client.ctx.settings = client.ctx.settings.with_(max_image_pixels=500, max_image_bytes=4000)
    r = await upload(client, alice, image_bytes(size=(40, 20)))  # 800 pixels
    assert r.status_code == 422 and "pixels" in r.json()["error"]
    noisy = Image.frombytes("RGB", (30, 15), bytes(range(256)) * 6)
    buf = io.BytesIO()
    noisy.save(buf, "PNG")
    big = buf.getvalue() + b"\0" * 4000
    r = await upload(client, alice, big, name="x.png")
    assert r.status_code == 413 and "too large" in r.json()["error"]
    assert await row_counts(client.ctx) == before
    files_after = sorted(p.name for p in client.ctx.settings.media_dir.glob("*")) \
        if client.ctx.settings.media_dir.exists() else []
    assert files_after == files_before


async def test_media_file_route_refuses_unknown_and_traversal(client: Client) -> None:
    for path in ("/media/nope.jpg", "/media/..%2Fsecret_key", "/media/.tmp-abc",
                 "/media/abcdefgh.html"):
        r = await client.get(path)
        assert r.status_code == 404 and r.json() == {"error": "Record not found"}


async def test_attach_describe_and_delete(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    m = (await upload(client, alice, image_bytes())).json()
    r = await client.put(f"/api/v1/media/{m['id']}", as_=bob, json={"description": "mine"})
    assert r.status_code == 404
    r = await client.put(f"/api/v1/media/{m['id']}", as_=alice, json={"description": "red"})
    assert r.json()["description"] == "red"
    # bob cannot attach alice's upload.
    r = await client.post("/api/v1/statuses", as_=bob, json={"media_ids": [m["id"]]})
    assert r.status_code == 422
    post = await client.post_status(alice, "look", media_ids=[m["id"]])
    assert [a["id"] for a in post["media_attachments"]] == [m["id"]]
    # Attached: only an edit of the post changes it now.
    r = await client.put(f"/api/v1/media/{m['id']}", as_=alice, json={"description": "x"})
    assert r.status_code == 404
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice, json={
        "status": "look", "media_ids": [m["id"]],
        "media_attributes": [{"id": m["id"], "description": "crimson", "focus": "0,1"}]})
    assert r.status_code == 200, r.text
    assert r.json()["media_attachments"][0]["description"] == "crimson"

    r = await client.delete(f"/api/v1/statuses/{post['id']}?delete_media=true", as_=alice)
    assert r.status_code == 200
    assert r.json()["media_attachments"][0]["id"] == m["id"]
    assert (await stored(client, m["url"])).status_code == 404
    async with client.ctx.db.read() as conn:
        assert (await conn.execute(select(media.c.id).where(media.c.id == int(m["id"])))
                ).first() is None


async def test_delete_keeps_media_for_redraft_then_cleans_orphans(client: Client) -> None:
    alice = await client.user("alice")
    m = (await upload(client, alice, image_bytes())).json()
    post = await client.post_status(alice, "look", media_ids=[m["id"]])
    await client.delete(f"/api/v1/statuses/{post['id']}", as_=alice)
    redraft = await client.post_status(alice, "again", media_ids=[m["id"]])
    assert redraft["media_attachments"][0]["id"] == m["id"]
    await client.delete(f"/api/v1/statuses/{redraft['id']}", as_=alice)
    assert await delete_orphan_media(client.ctx) == 0
    client.ctx.clock.advance(2 * 86400)  # type: ignore[attr-defined]
    assert await delete_orphan_media(client.ctx) == 1
    assert (await stored(client, m["url"])).status_code == 404


async def test_profile_images(client: Client) -> None:
    alice = await client.user("alice")
    ctx = client.ctx
    await set_profile_image(ctx, alice.id, "avatar", image_bytes(size=(900, 300), gps=True),
                            "me.jpg")
    async with ctx.db.read() as conn:
        first = (await conn.execute(select(accounts.c.avatar_file)
                                    .where(accounts.c.id == alice.id))).scalar_one()
    data = ctx.files.path(first).read_bytes()
    im = Image.open(io.BytesIO(data))
    assert im.size == (400, 400) and not im.getexif()
    await set_profile_image(ctx, alice.id, "header", image_bytes(size=(300, 300)), "h.png")
    await set_profile_image(ctx, alice.id, "avatar", image_bytes(), "again.jpg")
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(accounts.c.avatar_file, accounts.c.header_file)
                                  .where(accounts.c.id == alice.id))).one()
    assert row.avatar_file != first and not ctx.files.exists(first)
    assert Image.open(ctx.files.path(row.header_file)).size == (1500, 500)
    try:
        await set_profile_image(ctx, alice.id, "avatar", b"not an image", "x.jpg")
    except Invalid:
        pass
    else:
        raise AssertionError("a non-image avatar was accepted")


async def test_media_an_edit_removed_stay_while_history_shows_them(client: Client) -> None:
    alice = await client.user("alice")
    m = (await upload(client, alice, image_bytes())).json()
    post = await client.post_status(alice, "look", media_ids=[m["id"]])
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice, json={"status": "text"})
    assert r.json()["media_attachments"] == []
    client.ctx.clock.advance(2 * 86400)  # type: ignore[attr-defined]
    assert await delete_orphan_media(client.ctx) == 0
    history = (await client.get(f"/api/v1/statuses/{post['id']}/history")).json()
    assert [a["id"] for a in history[0]["media_attachments"]] == [m["id"]]
    assert history[1]["media_attachments"] == []
    assert (await stored(client, m["url"])).status_code == 200
