"""A canned reply may quote a help article as {article:slug}: inserted, it becomes the article's title and
full address; saved, a slug that names no published article for practices is refused by name."""

import pytest
from django.contrib.auth.models import Permission

from incidents.models import CannedReply
from knowledge.models import Audience
from knowledge.services import article_save
from tests.conftest import login
from tests.factories import StaffFactory
from tests.knowledge.conftest import make_article

CANNED_ADD = "/admin/incidents/cannedreply/add/"


@pytest.fixture
def administrator(db):
    keeper = StaffFactory(full_name="Morgan Admin")
    codes = ["view_cannedreply", "add_cannedreply", "change_cannedreply"]
    keeper.user_permissions.set(Permission.objects.filter(codename__in=codes))
    return keeper


def test_inserting_a_reply_quotes_the_article_with_its_full_address(agent_client, incident, articles):
    reply = CannedReply.objects.create(
        title="Printing", text="Hello {practice}, this should help: {article:printing-prescriptions}"
    )

    response = agent_client.post(
        f"/admin/incidents/incident/{incident.pk}/act/note/",
        {"canned_reply": reply.pk, "insert_canned_reply": "Insert"},
    )

    assert response.status_code == 200
    assert response.context["form"].initial["text"] == (
        f"Hello {incident.practice.name}, this should help: Printing prescriptions: "
        "http://testserver/help/articles/printing-prescriptions/"
    )


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("no-such-article", "“{article:no-such-article}” names no published article."),
        ("printing-letters", "“{article:printing-letters}” names no published article."),  # a draft
        ("resetting-a-print-server", "“{article:resetting-a-print-server}” is a desk-only article"),
    ],
)
def test_a_reply_quoting_an_unknown_draft_or_desk_only_article_is_refused(
    client, administrator, articles, slug, message
):
    login(client, administrator)

    response = client.post(CANNED_ADD, {"title": "Quote", "text": f"See {{article:{slug}}}."})

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not CannedReply.objects.exists()


def test_a_reply_quoting_a_published_article_for_practices_is_saved(client, administrator, articles):
    login(client, administrator)

    response = client.post(CANNED_ADD, {"title": "Quote", "text": "See {article:printing-prescriptions}."})

    assert response.status_code == 302
    assert CannedReply.objects.get().text == "See {article:printing-prescriptions}."


def test_other_unknown_placeholders_are_still_refused_naming_the_article_one(client, administrator, db):
    login(client, administrator)

    html = client.post(CANNED_ADD, {"title": "Quote", "text": "Hello {name}"}).content.decode()

    assert "“{name}” is not a placeholder we can fill." in html
    assert "{article:…}" in html


def test_an_article_unpublished_since_is_left_as_typed(agent_client, incident, editor):
    article = make_article(actor=editor, title="Printing", slug="printing", body="x")
    reply = CannedReply.objects.create(title="Printing", text="See {article:printing}.")
    article.audience = Audience.DESK
    article_save(article, actor=editor)

    assert reply.fill(incident, editor) == "See {article:printing}."
