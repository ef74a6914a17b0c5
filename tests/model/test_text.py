"""Post text: parsing, counting, and HTML that is safe whatever the input."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.model.text import count_chars, parse, render, render_plain

URLS = {"alice": "https://sq.example/@alice"}
TAG_URL = "https://sq.example/tags/{tag}"


def test_parse_finds_mentions_tags_links() -> None:
    p = parse("Hi @Alice and @bob@remote.example, #Python #123 #python see https://x.org/a?b=1.")
    assert p.mentions == ["alice"]  # remote mentions are not local accounts
    assert p.tags == ["python"]  # numeric tags ignored, duplicates folded
    assert p.links == ["https://x.org/a?b=1"]  # trailing punctuation is not part of the link


def test_email_is_not_a_mention() -> None:
    assert parse("write to me@example.org").mentions == []


def test_links_count_as_23_characters() -> None:
    assert count_chars("https://example.org/" + "a" * 100) == 23
    assert count_chars("hello") == 5
    assert count_chars("@bob@remote.example") == 4


def test_render_links_mentions_and_tags() -> None:
    html = render("Hi @alice #Go https://x.org", URLS, TAG_URL)
    assert '<a href="https://sq.example/@alice" class="u-url mention">@<span>alice</span></a>' \
        in html
    assert 'href="https://sq.example/tags/go"' in html and "#<span>Go</span>" in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_unknown_mentions_stay_plain_text() -> None:
    assert "<a" not in render("hi @nobody", URLS, TAG_URL)


def test_paragraphs_and_line_breaks() -> None:
    assert render("a\nb\n\nc", {}, TAG_URL) == "<p>a<br>b</p><p>c</p>"


def test_hostile_markup_is_inert() -> None:
    html = render('<script>alert(1)</script><img src=x onerror=alert(1)> '
                  'javascript:alert(1) "><a href="javascript:x">', {}, TAG_URL)
    assert "<script" not in html and "<img" not in html
    assert '<a href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_bio_rendering() -> None:
    assert render_plain("") == ""
    assert render_plain("I <3 bread") == "<p>I &lt;3 bread</p>"


ALLOWED_TAG = re.compile(r"</?(p|br|a|span)\b")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'&=/ :@#abcjsvrtpx\n.;()")), max_size=80))
def test_any_text_renders_to_allowed_markup_only(text: str) -> None:
    html = render(text, URLS, TAG_URL)
    for tag in re.findall(r"<[^>]*>", html):
        assert ALLOWED_TAG.match(tag), tag
        assert "javascript:" not in tag.lower()
        assert " on" not in tag.lower().split('"')[0]
