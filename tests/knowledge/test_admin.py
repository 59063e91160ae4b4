"""The desk keeps help articles in admin: every save keeps a revision saying who changed what, old
versions can be read with what changed, and the NHS-number guard checks the title and text."""

import pytest
import time_machine

from knowledge.models import Article, ArticleRevision, Audience
from knowledge.services import article_save
from tests.conftest import login
from tests.factories import StaffFactory
from tests.incidents.test_nhs_guard import SPACED, post_confirming
from tests.knowledge.conftest import make_article

ADD = "/admin/knowledge/article/add/"


def change_url(article):
    return f"/admin/knowledge/article/{article.pk}/change/"


def form_data(**changes):
    data = {
        "title": "Printing prescriptions",
        "slug": "printing-prescriptions",
        "body": "Check the printer tray.",
        "audience": Audience.PRACTICES,
        "published": "on",
    }
    return {**data, **changes}


def test_adding_an_article_writes_its_first_revision_by_its_author(client, editor, product):
    login(client, editor)

    response = client.post(ADD, form_data(products=[product.pk]))

    assert response.status_code == 302
    article = Article.objects.get(slug="printing-prescriptions")
    assert list(article.products.all()) == [product]
    assert article.created_by == editor and article.updated_by == editor
    revision = article.revisions.get()
    assert (revision.number, revision.title, revision.body, revision.changed_by) == (
        1,
        "Printing prescriptions",
        "Check the printer tray.",
        editor,
    )


def test_each_change_writes_the_next_revision_by_whoever_changed_it(client, editor, db):
    article = make_article(actor=editor, title="Printing prescriptions", body="Check the printer tray.")
    colleague = StaffFactory(full_name="Taylor Second")
    colleague.user_permissions.set(editor.user_permissions.all())
    login(client, colleague)

    response = client.post(change_url(article), form_data(body="Check the printer tray holds FP10 paper."))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.updated_by == colleague and article.created_by == editor
    assert [(r.number, r.body, r.changed_by) for r in article.revisions.all()] == [
        (2, "Check the printer tray holds FP10 paper.", colleague),
        (1, "Check the printer tray.", editor),
    ]
    page = client.get(change_url(article)).content.decode()
    assert "Version 2</a>" in page and "by Taylor Second" in page
    assert "Version 1</a>" in page and "by Morgan Writer" in page


def test_an_old_version_shows_its_text_and_what_changed(client, editor):
    article = make_article(actor=editor, title="Printing prescriptions", body="Check the printer tray.")
    article.body = "Check the printer tray holds FP10 paper."
    article_save(article, actor=editor)
    login(client, editor)

    response = client.get(f"/admin/knowledge/article/{article.pk}/revisions/2/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Saved by Morgan Writer" in html
    assert "-Check the printer tray.\n+Check the printer tray holds FP10 paper." in html
    assert client.get(f"/admin/knowledge/article/{article.pk}/revisions/1/").status_code == 200
    assert client.get(f"/admin/knowledge/article/{article.pk}/revisions/3/").status_code == 404


def test_an_old_version_is_escaped_and_rendered_safely(client, editor):
    article = make_article(actor=editor, title="<b>Odd</b>", slug="odd", body="<script>alert(1)</script>")
    login(client, editor)

    html = client.get(f"/admin/knowledge/article/{article.pk}/revisions/1/").content.decode()

    assert "<script>alert(1)" not in html and "<b>Odd</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_staff_without_the_article_permissions_cannot_read_old_versions(client, editor):
    article = make_article(actor=editor, title="Printing prescriptions", body="Check the printer tray.")
    login(client, StaffFactory(full_name="No Rights"))

    response = client.get(f"/admin/knowledge/article/{article.pk}/revisions/1/")

    assert response.status_code in (302, 403, 404)
    assert "Check the printer tray" not in response.content.decode()


@pytest.mark.parametrize("field", ["title", "body"])
def test_an_nhs_number_in_the_title_or_text_is_refused(client, editor, field):
    login(client, editor)

    response = client.post(ADD, form_data(**{field: f"Patient {SPACED} could not print"}))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"contains “{SPACED}”, which looks like an NHS number" in html
    assert 'name="confirm_not_nhs_number"' in html
    assert not Article.objects.exists() and not ArticleRevision.objects.exists()


def test_confirming_it_is_not_an_nhs_number_saves_the_article(client, editor):
    login(client, editor)

    response = post_confirming(client, ADD, form_data(body=f"The licence key is {SPACED}."))

    assert response.status_code == 302
    assert Article.objects.get().body == f"The licence key is {SPACED}."


def test_the_list_filters_by_audience(client, editor):
    make_article(actor=editor, title="For practices", body="x")
    make_article(actor=editor, title="For the desk", body="x", audience=Audience.DESK)
    login(client, editor)

    html = client.get("/admin/knowledge/article/", {"audience__exact": "desk"}).content.decode()

    assert "For the desk" in html and "For practices" not in html


def test_the_versions_are_listed_in_london_time(client, editor):
    with time_machine.travel("2026-07-01 08:30:00+00:00", tick=False):  # 09:30 British Summer Time
        article = make_article(actor=editor, title="Printing prescriptions", body="Check the printer tray.")
        login(client, editor)

        page = client.get(change_url(article)).content.decode()

        assert "Version 1</a>, 1 July 2026, 09:30 by Morgan Writer" in page


def test_an_agent_of_the_desk_role_writes_an_article_and_its_revision_names_them(client, agent):
    login(client, agent)

    response = client.post(ADD, form_data())

    assert response.status_code == 302
    article = Article.objects.get(slug="printing-prescriptions")
    assert list(article.revisions.values_list("changed_by", flat=True)) == [agent.pk]
