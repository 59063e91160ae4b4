import pytest
from django.contrib.auth.models import Permission

from knowledge.models import Article, Audience
from knowledge.services import article_save
from tests.factories import ProductFactory, StaffFactory


@pytest.fixture
def editor(db):
    """A member of the desk who keeps the help articles (they hold the article permissions)."""
    keeper = StaffFactory(full_name="Morgan Writer")
    codes = ["view_article", "add_article", "change_article"]
    keeper.user_permissions.set(
        Permission.objects.filter(content_type__app_label="knowledge", codename__in=codes)
    )
    return keeper


def make_article(*, actor, products=(), **fields):
    fields = {"audience": Audience.PRACTICES, "published": True, **fields}
    fields.setdefault("slug", fields["title"].lower().replace(" ", "-"))
    article = Article(**fields)
    article_save(article, actor=actor)
    article.products.set(products)
    return article


@pytest.fixture
def articles(editor, product):
    """Three published articles for practices (one about the practice's product, one about another, one
    about every product), one for the desk only, and one not yet published."""
    other = ProductFactory(name="Docman")
    return {
        "printing": make_article(
            actor=editor,
            title="Printing prescriptions",
            slug="printing-prescriptions",
            body="If prescriptions will not print, check the **printer tray** is set to FP10 paper.",
            products=[product],
        ),
        "cache": make_article(
            actor=editor,
            title="Clearing the appointments cache",
            slug="clearing-the-appointments-cache",
            body="When the appointment book shows old slots, clear the cache from the Tools menu.",
            products=[other],
        ),
        "reports": make_article(
            actor=editor,
            title="Scheduling a report",
            slug="scheduling-a-report",
            body="Reports can run overnight: choose Schedule, then a time.",
        ),
        "desk": make_article(
            actor=editor,
            title="Resetting a practice's print server",
            slug="resetting-a-print-server",
            body="Desk only: connect and restart the print spooler service.",
            audience=Audience.DESK,
        ),
        "draft": make_article(
            actor=editor,
            title="Printing letters",
            slug="printing-letters",
            body="Not yet published.",
            published=False,
        ),
    }
