"""Sending the portal's emails: a subject, a text body and an HTML body from templates/emails/."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

# Marks every email as the portal's own (RFC 3834), so that mail programs and the desk's own intake send
# no automatic reply to it; Exchange and Outlook heed only their own header, which suppresses out-of-office
# replies, read receipts and the like.
AUTOMATED_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def send_templated_email(name, to, context, *, headers=None, reply_to=None):
    """Render emails/<name>_subject.txt, <name>.txt and <name>.html and send them to the list `to`.

    `headers` adds to (or overrides) the automated ones, e.g. Message-ID, In-Reply-To and References;
    `reply_to` is one address or a list of them."""
    context = {"service_desk": settings.SERVICE_DESK, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    if isinstance(reply_to, str):
        reply_to = [reply_to]
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        to,
        headers={**AUTOMATED_HEADERS, **(headers or {})},
        reply_to=reply_to,
    )
    message.attach_alternative(html, "text/html")
    message.send()
