"""The demo's help articles: loaded once however often seed_demo runs, and quoted by a canned reply."""

from django.core.management import call_command

from accounts.models import User
from incidents.models import CannedReply
from knowledge.models import Article, ArticleRevision
from tests.conftest import login


def test_seed_demo_loads_the_help_articles_once(db, client):
    call_command("seed_demo", "--allow-without-debug")
    call_command("seed_demo", "--allow-without-debug")

    assert Article.objects.count() == 4 and ArticleRevision.objects.count() == 4
    CannedReply.objects.get(
        title="Printing prescriptions (article)"
    ).full_clean()  # the quoted article exists
    login(client, User.objects.get(email="alex.morgan@riverside.example"))
    html = client.get("/help/articles/", {"q": "cache appointments"}).content.decode()
    assert "Clearing the <mark>appointments</mark> <mark>cache</mark>" in html
    assert "print server" not in client.get("/help/articles/").content.decode()  # the desk's own
