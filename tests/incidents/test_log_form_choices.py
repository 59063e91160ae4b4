"""The log form checks the submitted product and site against choices kept in the cache
(incidents.pagecache.log_form_choices) instead of querying both on every incident logged.

Guards against those choices going stale: a product withdrawn, a site added or removed, must count on
the very next submission; and against one practice's cached sites letting another practice's through.
"""

import pytest

from incidents.models import Incident
from tests.factories import ProductFactory, SiteFactory, incident_form_data

NEW_URL = "/incidents/new/"
# Logging with the choices in the cache: session, user with practice, the next reference (one UPDATE ...
# RETURNING), the incident, its "logged" event; and here the savepoint and its release that stand for
# BEGIN and COMMIT inside the test's own transaction.
LOG_QUERIES = 7


def log(client, data):
    return client.post(NEW_URL, data)


@pytest.fixture
def warmed(user_client, practice_user, product):
    """A first incident logged: the choices are now in the cache."""
    assert log(user_client, incident_form_data(practice_user, product)).status_code == 302
    return user_client


def test_logging_with_the_choices_cached_queries_neither_products_nor_sites(
    warmed, practice_user, product, django_assert_num_queries
):
    data = incident_form_data(practice_user, product)
    with django_assert_num_queries(LOG_QUERIES) as captured:
        response = log(warmed, data)

    assert response.status_code == 302
    assert Incident.objects.count() == 2
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "incidents_product" not in tables
    assert "accounts_site" not in tables


def test_a_product_withdrawn_after_the_choices_were_cached_is_refused_at_once(warmed, practice_user, product):
    product.is_active = False
    product.save()

    response = log(warmed, incident_form_data(practice_user, product))

    assert response.status_code == 400
    assert "product" in response.context["form"].errors
    assert Incident.objects.count() == 1


def test_a_product_added_after_the_choices_were_cached_is_accepted_at_once(warmed, practice_user):
    added = ProductFactory(name="Newly released product")

    response = log(warmed, incident_form_data(practice_user, added))

    assert response.status_code == 302
    assert Incident.objects.latest("pk").product == added


def test_a_site_added_after_the_choices_were_cached_is_accepted_at_once(warmed, practice_user, product):
    branch = SiteFactory(practice=practice_user.practice, name="New branch surgery")

    response = log(warmed, incident_form_data(practice_user, product, site=branch.pk))

    assert response.status_code == 302
    assert Incident.objects.latest("pk").site == branch


def test_a_site_removed_after_the_choices_were_cached_is_refused_at_once(warmed, practice_user, product):
    branch = SiteFactory(practice=practice_user.practice, name="Closing branch")
    assert log(warmed, incident_form_data(practice_user, product, site=branch.pk)).status_code == 302
    Incident.objects.filter(site=branch).update(site=None)
    branch_pk = branch.pk
    branch.delete()

    response = log(warmed, incident_form_data(practice_user, product, site=branch_pk))

    assert response.status_code == 400
    assert "site" in response.context["form"].errors


@pytest.mark.parametrize("site", ["other practice", "not a number", "999999"])
def test_cached_choices_refuse_another_practices_site_and_nonsense(
    warmed, practice_user, outsider, product, site
):
    """The second practice's sites were cached too (its user logged first); neither list lets the other's
    sites through, and a choice that is not a site's number is refused with a message, not a 500."""
    elsewhere = SiteFactory(practice=outsider.practice, name="Elsewhere branch")
    warmed.force_login(outsider)
    assert log(warmed, incident_form_data(outsider, product, site=elsewhere.pk)).status_code == 302
    warmed.force_login(practice_user)
    value = {"other practice": elsewhere.pk, "not a number": "1; DROP TABLE", "999999": 999999}[site]

    response = log(warmed, incident_form_data(practice_user, product, site=value))

    assert response.status_code == 400
    assert "Select a valid choice" in str(response.context["form"].errors["site"])
    assert not Incident.objects.filter(reporter=practice_user, site__practice=outsider.practice).exists()
