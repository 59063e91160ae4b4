"""Say whether this machine reads screenshots for patient data (issue 18): `make run` prints it."""

import shutil
import subprocess

from django.conf import settings
from django.core.management.base import BaseCommand

INSTALL = "Install it with: apt-get install tesseract-ocr tesseract-ocr-eng"
NOT_INSTALLED = (
    "Tesseract is not installed: images that practices attach are held as 'not checked' until the practice "
    f"confirms them. {INSTALL}"
)
NO_ENGLISH = (
    "Tesseract {version} is installed at {path} without its English data: images that practices attach are "
    "held as 'not checked' until the practice confirms them. Install it with: apt-get install "
    "tesseract-ocr-eng"
)
READ = (
    "Screenshots are read for patient data: Tesseract {version} at {path}, with its English data. "
    "The Service Desk can open a practice's image once it is read and nothing is found, or once the practice "
    "confirms it shows no patient data."
)


def _run(path, option):
    """What Tesseract prints for `option`, its output and errors together (versions differ in which)."""
    result = subprocess.run(  # noqa: S603 - the program is a setting, the option our own
        [path, option], capture_output=True, text=True, timeout=10, check=False
    )
    return f"{result.stdout}\n{result.stderr}"


class Command(BaseCommand):
    help = (
        "Say whether screenshots are read for patient data here: Tesseract (SCREENSHOT_TESSERACT) found, "
        "its version, and its English data. Exits 0 either way."
    )

    def handle(self, *args, **options):
        path = shutil.which(settings.SCREENSHOT_TESSERACT) if settings.SCREENSHOT_TESSERACT else None
        try:
            version_text = _run(path, "--version") if path else ""
            languages = _run(path, "--list-langs").split() if path else []
        except (OSError, subprocess.SubprocessError):
            path = None
        if not path:
            self.stdout.write(self.style.WARNING(NOT_INSTALLED))
            return
        words = version_text.split()
        version = words[words.index("tesseract") + 1] if "tesseract" in words[:-1] else "(version unknown)"
        if "eng" not in languages:
            self.stdout.write(self.style.WARNING(NO_ENGLISH.format(version=version, path=path)))
            return
        self.stdout.write(self.style.SUCCESS(READ.format(version=version, path=path)))
