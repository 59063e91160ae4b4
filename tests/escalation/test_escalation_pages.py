"""Escalation from the portal (the practice asks) and from admin (the desk escalates and de-escalates)."""

from incidents.models import TimelineEvent


def test_a_practice_user_asks_for_escalation_from_the_incident_page(user_client, incident):
    page = user_client.get(incident.get_absolute_url()).content.decode()
    response = user_client.post(
        f"{incident.get_absolute_url()}escalate/",
        {"escalate-reason": "Nobody has called us back"},
        follow=True,
    )

    assert "Ask for this incident to be escalated" in page
    assert response.redirect_chain == [(incident.get_absolute_url(), 302)]
    incident.refresh_from_db()
    assert incident.escalation_level.role_name == "Customer Service Team Leader"
    assert "now with the Customer Service Team Leader" in response.content.decode()


def test_asking_without_a_reason_is_refused(user_client, incident):
    response = user_client.post(f"{incident.get_absolute_url()}escalate/", {"escalate-reason": ""})

    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.escalation_level is None


def test_another_practice_cannot_escalate(client, outsider, incident):
    client.force_login(outsider)

    response = client.post(f"{incident.get_absolute_url()}escalate/", {"escalate-reason": "Mine now"})

    assert response.status_code == 404


def test_an_agent_escalates_and_de_escalates_in_admin(client, agent, incident):
    client.force_login(agent)
    base = f"/admin/incidents/incident/{incident.pk}/"

    client.post(f"{base}act/escalate/", {"reason": "Practice manager called"})
    change_page = client.get(f"{base}change/").content.decode()
    client.post(f"{base}act/deescalate/", {"reason": "Handled by the team leader"})

    assert "/act/deescalate/" in change_page
    incident.refresh_from_db()
    assert incident.escalation_level is None
    kinds = list(incident.events.filter(kind__in=["escalated", "deescalated"]).values_list("kind", flat=True))
    assert kinds == [TimelineEvent.Kind.ESCALATED, TimelineEvent.Kind.DEESCALATED]
