"""The portal's URLs and the floor: a signed-in page with one indexed query and a tiny template, the most
any portal page could do. The bench's ratios are each page's requests per second over the floor's."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from accounts.models import Practice
from servicedesk.urls import urlpatterns as portal


@login_required
def floor(request):
    practice = Practice.objects.filter(pk=request.user.practice_id).values_list("name", flat=True).first()
    return render(request, "floor.html", {"practice": practice})


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *portal]
