"""Hostile content renders as inert text everywhere: display names, bios, post texts, spoiler
texts, poll options, search queries."""

from __future__ import annotations

from html.parser import HTMLParser

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    '"><svg onload=alert(3)>',
    "<a href=\"javascript:alert(4)\">click</a>",
    "javascript:alert(5)",
    "</textarea><b>broken",
    "<div style='x'",
]


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_inert(html: str) -> None:
    """No markup from the payloads survived as markup: parse the page as a browser would and
    check the elements themselves (escaped payload text is fine, and expected)."""
    parser = _Elements()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.found if tag == "script"]
    assert all(dict(a).get("src", "").startswith("/static/") for a in scripts), scripts
    assert len(scripts) == (1 if "<html" in html else 0)
    for tag, attrs in parser.found:
        assert tag not in ("img", "svg", "iframe", "object", "embed", "b", "div") or not any(
            k.startswith("on") for k, _ in attrs), (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, attrs)
            assert name != "style", (tag, attrs)
            if name in ("href", "src", "action", "formaction") and value:
                assert not value.strip().lower().startswith(("javascript:", "data:text")), (
                    tag, attrs)
    assert not any(tag == "svg" for tag, _ in parser.found)
    assert not any(tag == "b" for tag, _ in parser.found)  # from "</textarea><b>broken"


async def test_hostile_display_name_bio_post_and_poll_are_inert(visitor):
    mallory, alice = visitor(), visitor()
    await mallory.signup("mallory", HOSTILE[1][:100])
    r = await mallory.post("/settings/profile", {"display_name": HOSTILE[2],
                                                 "note": "\n".join(HOSTILE)})
    assert r.status_code == 303
    for payload in HOSTILE:
        await mallory.compose(f"look {payload} #evil", spoiler_text=payload[:100])
    await mallory.compose("poll time", poll_option=[HOSTILE[0][:50], HOSTILE[1][:50],
                                                    HOSTILE[3][:50]])
    await alice.signup("alice")
    await alice.post("/@mallory/follow")
    sid = await mallory.last_status_id()
    pages = ["/public", "/@mallory", "/tags/evil", f"/@mallory/{sid}", "/home",
             "/search?q=mallory", "/notifications", "/@mallory/followers",
             "/@alice/followers", "/search?q=" + HOSTILE[0]]
    for path in pages:
        for v in (alice, mallory):
            r = await v.get(path)
            assert r.status_code == 200, path
            assert_inert(r.text)
    # The payloads are still shown, as text.
    profile = await alice.get("/@mallory")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in profile.text
    assert "&#34;&gt;&lt;svg onload=alert(3)&gt;" in profile.text  # display name, escaped
    thread = await alice.get(f"/@mallory/{sid}")
    assert "&lt;img src=x onerror=" in thread.text  # poll option, escaped
    settings = await mallory.get("/settings/profile")
    assert_inert(settings.text)
    assert "&lt;/textarea&gt;&lt;b&gt;broken" in settings.text  # bio source stays in its box
    edit = await mallory.get(f"/@mallory/{sid}/edit")
    assert_inert(edit.text)


async def test_fragments_are_escaped_too(visitor):
    mallory = visitor()
    await mallory.signup("mallory")
    r = await mallory.post("/statuses", {"status": HOSTILE[0], "spoiler_text": HOSTILE[1]},
                           fetch=True)
    assert r.status_code == 200
    assert_inert(r.text)
    assert "&lt;script&gt;" in r.text


async def test_error_messages_escape_what_was_sent(visitor):
    v = visitor()
    await v.get("/signup")
    r = await v.post("/signup", {"username": HOSTILE[0], "email": HOSTILE[1],
                                 "password": "x", "password_confirm": "x"})
    assert r.status_code == 422
    assert_inert(r.text)
    r = await v.get("/login", params={"next": "javascript:alert(1)"})
    assert 'value="/home"' in r.text  # the unsafe next is replaced, not echoed
