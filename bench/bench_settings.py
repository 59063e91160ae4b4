"""Production settings plus the bench's floor page (bench/bench_urls.py). Selected by bench/pages.py with
DJANGO_SETTINGS_MODULE=bench.bench_settings; the production URLconf has no bench route."""

from pathlib import Path

from servicedesk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]  # noqa: F405
