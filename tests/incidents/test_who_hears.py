"""Who hears about an incident (issue 16): the reporter, the incident contact when a portal user, and
colleagues who follow it; each as their profile chooses (all, only what needs them, only resolutions)."""

import pytest
from django.core import mail

from accounts.models import EmailUpdates
from incidents import services
from tests.factories import UserFactory


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """Run `change` and return, per recipient address, the subjects of the emails they were sent."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            change()
        sent = {}
        for message in mail.outbox:  # read now: set-up after this fixture's may have replaced the list
            for address in message.to:
                sent.setdefault(address, []).append(message.subject)
        mail.outbox.clear()
        return sent

    return run


def test_a_colleague_follows_and_stops_following_from_the_page(client, colleague, incident):
    client.force_login(colleague)
    url = incident.get_absolute_url()

    assert "Follow</button>" in client.get(url).content.decode()
    assert client.post(f"{url}follow/", {"follow": "1"}).status_code == 302
    assert incident.followers.filter(user=colleague).exists()
    assert "Stop following</button>" in client.get(url).content.decode()
    client.post(f"{url}follow/", {"follow": "0"})
    assert not incident.followers.exists()


def test_following_twice_keeps_one_follower(incident, colleague):
    assert services.incident_follow(incident, actor=colleague) is True
    assert services.incident_follow(incident, actor=colleague) is False
    assert incident.followers.count() == 1


def test_an_outsider_cannot_follow(incident, outsider, client):
    client.force_login(outsider)

    assert client.post(f"{incident.get_absolute_url()}follow/", {"follow": "1"}).status_code == 404
    with pytest.raises(services.InvalidTransition):
        services.incident_follow(incident, actor=outsider)


def test_the_reporter_the_contact_and_followers_hear_of_an_update(told, incident, agent, practice, colleague):
    contact = UserFactory(practice=practice, full_name="Sam Contact")
    incident.contact_name = "sam contact"
    incident.save(update_fields=["contact_name"])
    bystander = UserFactory(practice=practice)
    services.incident_follow(incident, actor=colleague)

    sent = told(lambda: services.incident_verify(incident, actor=agent))

    assert set(sent) == {incident.reporter.email, contact.email, colleague.email}
    assert bystander.email not in sent


def test_the_contact_in_another_practice_is_not_told(told, incident, agent, other_practice):
    UserFactory(practice=other_practice, full_name=incident.contact_name)

    sent = told(lambda: services.incident_verify(incident, actor=agent))

    assert set(sent) == {incident.reporter.email}


@pytest.mark.parametrize(
    ("choice", "hears_of"),
    [
        (EmailUpdates.ALL, {"verified", "question", "resolved"}),
        (EmailUpdates.NEEDS_ME, {"question", "resolved"}),
        (EmailUpdates.RESOLUTIONS, {"resolved"}),
    ],
)
def test_each_user_hears_only_what_their_profile_chooses(told, incident, agent, colleague, choice, hears_of):
    colleague.email_updates = choice
    colleague.save(update_fields=["email_updates"])
    services.incident_follow(incident, actor=colleague)
    steps = {
        "verified": lambda: services.incident_verify(incident, actor=agent),
        "question": lambda: (
            services.incident_start_investigation(incident, actor=agent),
            services.incident_await_customer(incident, actor=agent, question="Which printer?"),
        ),
        "resolved": lambda: (
            services.incident_start_investigation(incident, actor=agent),
            services.incident_resolve(incident, actor=agent, resolution="Driver reinstalled"),
        ),
    }
    heard = set()
    for name in ("verified", "question", "resolved"):
        if colleague.email in told(steps[name]):
            heard.add(name)

    assert heard == hears_of


def test_nobody_wanting_it_sends_nothing(told, incident, agent, practice_user):
    practice_user.email_updates = EmailUpdates.RESOLUTIONS
    practice_user.save(update_fields=["email_updates"])

    assert told(lambda: services.incident_verify(incident, actor=agent)) == {}


def test_the_user_chooses_on_the_email_settings_page(user_client, practice_user):
    page = user_client.get("/accounts/email-settings/")
    response = user_client.post("/accounts/email-settings/", {"email_updates": "needs_me"})

    assert page.status_code == 200 and "Only updates that need me" in page.content.decode()
    assert response.status_code == 302
    practice_user.refresh_from_db()
    assert practice_user.email_updates == EmailUpdates.NEEDS_ME


def test_an_unknown_choice_is_refused(user_client, practice_user):
    response = user_client.post("/accounts/email-settings/", {"email_updates": "hourly"})

    assert response.status_code == 400
    practice_user.refresh_from_db()
    assert practice_user.email_updates == EmailUpdates.ALL
