from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from incidents.known_issues import visible_to
from incidents.models import Product
from servicedesk.lib import markdown

from .forms import ArticleSearchForm
from .models import SuggestionOpened
from .search import excerpt, highlight, search, visible_articles, words
from .suggestions import offers

PAGE_SIZE = 20
_PRODUCTS = Prefetch("products", queryset=Product.objects.only("name").order_by("name"))


def _for_practice(user):
    """Whether `user` reads as a practice: desk staff also see the desk's own articles."""
    return not user.is_staff


@login_required
def article_list(request):
    """The help articles the user may read: searched (every word, in any order, highlighted), filtered by
    product (an article for no product in particular is about every product), paginated."""
    articles = visible_articles(for_practice=_for_practice(request.user))
    products = Product.objects.filter(Exists(articles.filter(products=OuterRef("pk")))).only("name")
    form = ArticleSearchForm(request.GET or None, products=products)
    filters = form.valid_filters
    if "product" in filters:
        # One row per article: the join meets the product chosen once, or (for every product) nothing.
        articles = articles.filter(Q(products=filters["product"]) | Q(products__isnull=True))
    found = words(filters.get("q", ""))
    articles = search(articles, found) if found else articles.order_by("title", "pk")
    page = Paginator(articles.prefetch_related(_PRODUCTS), PAGE_SIZE).get_page(request.GET.get("page"))
    for article in page.object_list:
        article.title_marked = highlight(article.title, found)
        article.excerpt = excerpt(markdown.plain(article.body), found) if found else ""
    kept = [(name, form.data[name]) for name in form.fields if form.data.get(name)]
    context = {"form": form, "page": page, "found": found, "query": urlencode(kept)}
    return render(request, "knowledge/list.html", context)


@login_required
def article_detail(request, slug):
    """One article, rendered; 404 for one the user may not read (unpublished, or the desk's own)."""
    articles = visible_articles(for_practice=_for_practice(request.user))
    article = get_object_or_404(articles.prefetch_related(_PRODUCTS), slug=slug)
    return render(
        request, "knowledge/detail.html", {"article": article, "body": markdown.render(article.body)}
    )


SUMMARY_MAX = 200  # the incident's summary field holds no more


@login_required
@require_GET
def suggestions(request):
    """The log form's "Is it one of these?" (static/js/suggest.js fetches it as the summary is typed): an
    HTML fragment of offers for ?summary=, or an empty 204 when nothing matches. Changes nothing."""
    summary = request.GET.get("summary", "")
    if len(summary) > SUMMARY_MAX or "\x00" in summary:
        return HttpResponseBadRequest("The summary is too long to look up.", content_type="text/plain")
    found = offers(summary, user=request.user)
    if not found:
        return HttpResponse(status=204)
    return render(request, "knowledge/suggestions.html", {"offers": found})


# The kinds of offer that may be opened, and where each one's object is looked up (visible to the user).
OPENABLE = {
    SuggestionOpened.Kind.ARTICLE: lambda user: visible_articles(for_practice=_for_practice(user)),
    SuggestionOpened.Kind.KNOWN_ISSUE: lambda user: visible_to(user.practice_id),
}


@login_required
@require_POST
def suggestion_open(request):
    """An offer opened (offer=<kind>:<id>, e.g. "article:12"): recorded (for the reports' deflection
    figure), then on to it (303). An offer the user may not see, or a malformed one, is refused with 400,
    recording nothing."""
    kind, _, object_id = request.POST.get("offer", "").partition(":")
    if kind not in OPENABLE or not object_id.isascii() or not object_id.isdigit() or len(object_id) > 18:
        return HttpResponseBadRequest("There is no such suggestion to open.", content_type="text/plain")
    target = OPENABLE[kind](request.user).filter(pk=int(object_id)).first()
    if target is None:
        return HttpResponseBadRequest("There is no such suggestion to open.", content_type="text/plain")
    SuggestionOpened.objects.create(
        user=request.user, practice_id=request.user.practice_id, kind=kind, object_id=target.pk
    )
    return HttpResponseRedirect(target.get_absolute_url(), status=303)
