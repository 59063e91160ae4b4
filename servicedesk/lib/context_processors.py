from django.conf import settings


def service_desk(request):
    """The Service Desk's contact details, shown in the page footer and on the contact page."""
    return {"service_desk": settings.SERVICE_DESK}
