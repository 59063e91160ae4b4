from escalation.models import EscalationLevel
from tests.factories import StaffFactory


def test_home_sends_each_kind_of_user_to_their_own_start(client, practice_user, agent):
    assert client.get("/").status_code == 200  # the landing page, tested in test_landing.py
    client.force_login(practice_user)
    assert client.get("/").url == "/incidents/"
    client.force_login(agent)
    assert client.get("/").url == "/admin/"


def test_the_contact_page_shows_the_desks_details(client, db, settings):
    page = client.get("/contact/").content.decode()

    assert settings.SERVICE_DESK["phone"] in page
    assert settings.SERVICE_DESK["enquiries_email"] in page
    assert settings.SERVICE_DESK["hours"] in page


def test_the_contact_page_lists_the_escalation_ladder_and_its_contacts(client, db, django_assert_num_queries):
    leader = StaffFactory(full_name="Dana Lead", phone="01632 960950")
    EscalationLevel.objects.get(position=1).contacts.add(leader)

    with django_assert_num_queries(3):  # the levels, their contacts, the contacts for products
        page = client.get("/contact/").content.decode()

    assert "Customer Service Team Leader" in page
    assert "Dana Lead" in page and "01632 960950" in page
    assert "Operational Services Director" in page
    assert "Customer Liaison Officer</strong> (for managed-service contracts)" in page
