"""Search of a practice's incidents: every word typed must appear somewhere in the incident, in any order.

Where a word may appear: the summary, description, on-screen messages, workstation name, and the text of
the timeline entries the practice can see (notes, the desk's questions, resolutions); or it is the
reference itself. A word matches the start of a word in the text ("print" finds "printer", "rint" finds
nothing); the reference matches only whole ("PC00001" does not find PC000012).

PostgreSQL answers with full-text search (the 'simple' configuration: no stemming and no stop words, so that
what matches is what the SQLite fallback matches); SQLite with a case-insensitive regular expression per
word and field, which behaves the same for simple words. Words are letters and digits only, so nothing typed
reaches a query as syntax.
"""

import re

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import TimelineEvent

MAX_WORDS = 8
WORD = re.compile(r"[^\W_]+")
TEXT_FIELDS = ("summary", "description", "onscreen_messages", "machine_name")


def words(query):
    """The words of a search, lower-cased, each once, in the order typed (at most MAX_WORDS)."""
    return list(dict.fromkeys(word.lower() for word in WORD.findall(query or "")))[:MAX_WORDS]


def _visible_texts(**filters):
    """The timeline entries with text that the practice sees (a purged entry keeps no text)."""
    return TimelineEvent.objects.filter(public=True, purged_at__isnull=True, **filters).exclude(text="")


def search(incidents, query):
    """`incidents` narrowed to those containing every word of `query`; none when it has no words."""
    found = words(query)
    if not found:
        return incidents.none()
    if connection.vendor == "postgresql":
        return _postgresql(incidents, found)
    return _fallback(incidents, found)


def _postgresql(incidents, found):
    # One document per incident: the reference (weight A, matched whole) and the texts (weight D,
    # matched by word prefix). Each word must match one or the other.
    timeline = (
        _visible_texts(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(all_text=StringAgg("text", delimiter=" "))
        .values("all_text")
    )
    texts = Concat(
        *[part for name in TEXT_FIELDS for part in (name, Value(" "))],
        Coalesce(Subquery(timeline), Value(""), output_field=TextField()),
        output_field=TextField(),
    )
    document = SearchVector("reference", config="simple", weight="A") + SearchVector(
        texts, config="simple", weight="D"
    )
    tsquery = " & ".join(f"({word}:*D | {word}:A)" for word in found)
    return incidents.annotate(search_document=document).filter(
        search_document=SearchQuery(tsquery, config="simple", search_type="raw")
    )


def _fallback(incidents, found):
    for word in found:
        pattern = rf"\b{re.escape(word)}"
        in_texts = Q()
        for name in TEXT_FIELDS:
            in_texts |= Q(**{f"{name}__iregex": pattern})
        in_timeline = Exists(_visible_texts(incident=OuterRef("pk"), text__iregex=pattern))
        incidents = incidents.filter(Q(reference__iexact=word) | in_texts | in_timeline)
    return incidents


def highlight(text, found):
    """`text`, escaped, with each word that starts with one of `found` marked (<mark>): safe HTML."""
    if not found or not text:
        return escape(text)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in found) + r")[^\W_]*", re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [escape(text[last : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of the text is escaped above


def excerpt(text, found, width=160):
    """About `width` characters of `text` around its first match, highlighted, or '' if none matches."""
    if not found or not text:
        return ""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in found) + ")", re.IGNORECASE)
    match = pattern.search(text)
    if not match:
        return ""
    start = max(0, match.start() - width // 3)
    piece = " ".join(text[start : start + width].split())
    return highlight(("…" if start else "") + piece + ("…" if start + width < len(text) else ""), found)
