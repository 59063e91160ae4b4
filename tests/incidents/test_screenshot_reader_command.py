"""`manage.py screenshot_reader` (run by `make run`) says whether this machine reads screenshots."""

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.incidents.test_screenshot_check import TESSERACT, needs_tesseract


def reader_says():
    out = StringIO()
    call_command("screenshot_reader", stdout=out)  # returns, so `manage.py` exits 0
    return out.getvalue()


def test_without_tesseract_it_says_images_are_held_and_how_to_install_it(settings, tmp_path):
    settings.SCREENSHOT_TESSERACT = str(tmp_path / "no-such-tesseract")

    assert reader_says() == (
        "Tesseract is not installed: images that practices attach are held as 'not checked' until the "
        "practice confirms them. Install it with: apt-get install tesseract-ocr tesseract-ocr-eng\n"
    )


@pytest.mark.subprocess
@needs_tesseract
def test_with_tesseract_it_gives_the_version_and_the_english_data(settings):
    settings.SCREENSHOT_TESSERACT = "tesseract"  # looked up on the PATH, as by default
    version = subprocess.run([TESSERACT, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    number = (version.stdout + version.stderr).split()[1]

    said = reader_says()

    assert said.startswith(
        f"Screenshots are read for patient data: Tesseract {number} at {TESSERACT}, with its English data."
    )
    assert "not installed" not in said


@pytest.mark.subprocess
def test_tesseract_without_its_english_data_is_named_with_what_to_install(settings, tmp_path):
    fake = tmp_path / "tesseract"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "tesseract 4.1.1"; exit 0; fi\n'
        'echo "List of available languages in \\"/usr/share/tesseract-ocr/4.00/tessdata/\\" (1):"\n'
        "echo osd\n"
    )
    fake.chmod(0o755)
    settings.SCREENSHOT_TESSERACT = str(fake)

    said = reader_says()

    assert said.startswith(f"Tesseract 4.1.1 is installed at {fake} without its English data:")
    assert said.endswith("apt-get install tesseract-ocr-eng\n")


def test_the_make_run_target_says_which_case_applies_after_migrating():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]

    assert run.index("manage.py migrate") < run.index("manage.py screenshot_reader")
