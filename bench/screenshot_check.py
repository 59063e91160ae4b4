"""Recall, false positives and time of the screenshot check (incidents/screenshot_check.py, issue 18).

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/screenshot_check.py                    # 20 banner and 20 clean screens a scale
    .venv/bin/python bench/screenshot_check.py --screens 50 --scales 75 100

Reads the synthetic screens of tests/fixtures/screens/make_screens.py at each scale with the real
Tesseract, one image at a time, Tesseract limited to one thread (OMP_THREAD_LIMIT=1). A banner counts as
found when it is held; "number found" is stricter: the NHS number itself was read. A clean screen held is
a false positive.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _cpu_seconds():
    """CPU time of this process and of the Tesseract processes it waited for: on a shared machine, a
    fairer figure for one core than the time on the clock."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(scale, screens):
    from incidents.screenshot_check import read_image
    from tests.fixtures.screens.make_screens import screen_set

    held = {"banner": 0, "clean": 0}
    numbers, seconds, cpu, missed = 0, [], [], []
    for screen in screen_set(scale, screens, screens):
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        finding = read_image(screen.data)
        seconds.append(time.perf_counter() - start)
        cpu.append(_cpu_seconds() - start_cpu)
        held[screen.kind] += finding.held
        numbers += screen.kind == "banner" and any(r.startswith("NHS number") for r in finding.reasons)
        if finding.held != (screen.kind == "banner"):
            missed.append(f"{screen.name}: {finding.reasons}")
    return {
        "recall": held["banner"] / screens,
        "numbers": numbers / screens,
        "false_positives": held["clean"] / screens,
        "median_s": statistics.median(seconds),
        "max_s": max(seconds),
        "median_cpu_s": statistics.median(cpu),
        "missed": missed,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=20, help="banner screens, and clean screens, a scale")
    parser.add_argument("--scales", type=int, nargs="+", default=[75, 100, 125, 150, 200])
    args = parser.parse_args()
    setup_django()
    print(f"{args.screens} banner and {args.screens} clean screens a scale (1920×1080 at 100%)")
    print("| scale | image | banners held | NHS no. read | clean held | median s | max s | median CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for scale in args.scales:
        result = measure(scale, args.screens)
        size = f"{1920 * scale // 100}×{1080 * scale // 100}"
        print(
            f"| {scale}% | {size} | {result['recall']:.0%} | {result['numbers']:.0%} "
            f"| {result['false_positives']:.0%} | {result['median_s']:.2f} | {result['max_s']:.2f} "
            f"| {result['median_cpu_s']:.2f} |"
        )
        for line in result["missed"]:
            print(f"    wrong: {line}", file=sys.stderr)


if __name__ == "__main__":
    main()
