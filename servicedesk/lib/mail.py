"""Sending the portal's emails: a subject, a text body and an HTML body from templates/emails/."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_email(name, to, context, *, headers=None, reply_to=None):
    """Render emails/<name>_subject.txt, <name>.txt and <name>.html and send them to the list `to`."""
    context = {"service_desk": settings.SERVICE_DESK, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    headers = {"Auto-Submitted": "auto-generated", **(headers or {})}
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, to, headers=headers, reply_to=reply_to
    )
    message.attach_alternative(html, "text/html")
    message.send()
