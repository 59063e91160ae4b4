"""Articles' Markdown becomes HTML that cannot run anything: raw HTML is text, links go only to https, http
or mailto addresses, and images are not shown at all (their text is)."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from servicedesk.lib.markdown import render


class _Elements(HTMLParser):
    """The elements of a piece of HTML as a browser would read them: (tag, {attribute: value})."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html):
    return _Elements(str(html)).found


def scheme(href):
    """The scheme a browser would see: tabs and newlines anywhere, and spaces around, do not count."""
    return urlsplit(re.sub(r"[\t\n\r]", "", href).strip()).scheme.lower()


def test_markdown_becomes_the_allowed_html():
    html = render(
        "# Printing\n\nSome **bold**, *italic* and `code`.\n\n- one\n- two\n\n1. first\n\n> quoted\n\n---\n\n"
        "| Setting | Value |\n|---|---|\n| Tray | 2 |\n\n"
        "[NHS](https://www.nhs.uk) and <mailto:desk@example.org>"
    )

    assert "<h2>Printing</h2>" in html  # the page's title is its only h1
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html and "<code>code</code>" in html
    assert "<ul>" in html and "<ol>" in html and "<blockquote>" in html and "<hr>" in html
    assert "<table>" in html and "<th>Setting</th>" in html and "<td>2</td>" in html
    assert '<a href="https://www.nhs.uk" rel="noopener noreferrer">NHS</a>' in html
    assert '<a href="mailto:desk@example.org" rel="noopener noreferrer">' in html


def test_a_script_is_shown_as_text():
    html = render("Before\n\n<script>alert('x')</script>\n\nAfter <script>alert(1)</script>")

    assert "<script" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "text",
    [
        '<img src="x" onerror="alert(1)">',
        '<a href="https://example.org" onclick="alert(1)">link</a>',
        '<p onmouseover="alert(1)">hover</p>',
        '<div style="background:url(javascript:alert(1))">styled</div>',
        "<svg onload=alert(1)>",
    ],
)
def test_event_handlers_styles_and_raw_html_are_never_markup(text):
    html = render(text)

    assert [tag for tag, _ in elements(html)] == ["p"]  # the typed HTML is shown as text in a paragraph
    assert "&lt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "JavaScript:alert(1)",
        "jav&#x61;script:alert(1)",
        "jav&#97;script:alert(1)",
        "&#106;avascript:alert(1)",
        "java%0ascript:alert(1)",
        "<javascript:alert(1)>",
        "<java\tscript:alert(1)>",
        " javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
    ],
)
def test_links_to_anything_but_web_and_mail_addresses_are_refused(link):
    html = render(f"[Click me]({link}) and <{link}>")

    hrefs = [attrs.get("href", "") for tag, attrs in elements(html) if tag == "a"]
    # Refused outright, or (percent-encoded) an address in the portal that a browser never runs.
    assert all(scheme(href) in ("", "http", "https", "mailto") for href in hrefs), hrefs
    assert "Click me" in html  # the text stays


def test_an_obfuscated_autolink_is_not_a_link():
    html = render("<jav&#x61;script:alert(1)>")

    assert elements(html) == [("p", {})]


@pytest.mark.parametrize(
    "image",
    [
        "![Printer settings](https://example.org/tray.png)",
        "![Printer settings](data:image/png;base64,iVBORw0KGgo=)",
        "![Printer settings](javascript:alert(1))",
    ],
)
def test_no_image_is_shown_only_its_text(image):
    html = render(image)

    assert elements(html) == [("p", {})]
    assert "Printer settings" in html


def test_the_result_is_safe_to_put_in_a_template_and_empty_text_is_nothing():
    assert hasattr(render("x"), "__html__")
    assert render("") == "" and render(None) == ""


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("# Top\n\n## Next\n\n### Third\n\n#### Fourth", ["h2", "h3", "h4", "h4"]),
        ("## Top\n\n### Next", ["h2", "h3"]),
        ("### Only", ["h2"]),
    ],
)
def test_the_highest_heading_becomes_h2_under_the_pages_title(text, levels):
    assert [tag for tag, _ in elements(render(text))] == levels


def test_plain_text_is_what_a_reader_sees():
    from servicedesk.lib.markdown import plain

    assert plain("Check **tray 2** & [the guide](https://example.org).\n\n<b>x</b>") == (
        "Check tray 2 & the guide.\n<b>x</b>\n"
    )
