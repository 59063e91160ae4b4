"""A practice's emailed reply puts its incident in the desk's "practice replied" queue (issue 17)."""

from incidents.services import incident_verify
from tests.inbound.conftest import compose, reply_headers
from tests.incidents.queue_helpers import CHANGELIST, references


def test_an_emailed_reply_puts_the_incident_back_before_the_desk(agent_client, agent, sams_incident, take):
    incident_verify(sams_incident, actor=agent)
    assert references(agent_client.get(CHANGELIST, {"replied": "yes"}).content.decode()) == []
    in_reply_to, refs = reply_headers(sams_incident)

    take(
        compose(
            subject="Re: your incident",
            body="It froze again at 10.",
            In_Reply_To=in_reply_to,
            References=refs,
        )
    )

    page = agent_client.get(CHANGELIST, {"replied": "yes"}).content.decode()
    assert references(page) == [sams_incident.reference]
    assert '<span class="queue-tag">Practice replied</span>' in page
