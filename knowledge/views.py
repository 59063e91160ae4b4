from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.utils.http import urlencode

from incidents.models import Product
from servicedesk.lib import markdown

from .forms import ArticleSearchForm
from .search import excerpt, highlight, search, visible_articles, words

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
