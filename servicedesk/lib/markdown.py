"""Markdown written by the desk (help articles) as safe HTML.

Two steps, each of them well kept by others: markdown-it-py parses CommonMark with raw HTML switched off
(a `<script>` typed in an article is shown as text), then nh3 (Ammonia) cleans what came out against an
allow-list, in case the parser ever lets something through. Links may only go to https, http or mailto
addresses, and open nothing with the portal's window (rel="noopener noreferrer"). No images: an article's
picture would be fetched from wherever its address points, so none is allowed; the image's text is kept.
"""

import html

import nh3
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
}
ATTRIBUTES = {"a": {"href"}, "ol": {"start"}, "th": {"scope"}}
URL_SCHEMES = {"https", "http", "mailto"}

_parser = MarkdownIt("commonmark", {"html": False}).enable("table")


def _adjust(tokens):
    """Headings start at level 2, the page's own title being its only h1: the article's highest heading
    becomes h2 (whether written "#" or "##"), the others follow, h4 at most. An image becomes its text."""
    levels = [int(token.tag[1]) for token in tokens if token.type == "heading_open"]
    shift = 2 - min(levels, default=2)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + shift, 4)}"
        for child in token.children or ():
            if child.type == "image":
                child.type, child.tag, child.attrs, child.children = "text", "", {}, None


def render(text):
    """`text` (Markdown) as HTML that is safe to put in a page (a SafeString)."""
    tokens = _parser.parse(text or "")
    _adjust(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 - cleaned by nh3 against the allow-list above


def plain(text):
    """`text` (Markdown) as the words a reader sees, without its markup: for excerpts in search results.
    Plain text, to be escaped where it is shown."""
    return html.unescape(strip_tags(render(text)))
