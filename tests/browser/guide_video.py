"""Turn the frames that tests/browser/test_guide.py recorded into the guide's tutorial video.

    python -m tests.browser.guide_video static/guide

Each frame is shown until the next was painted (Chromium paints only when something changes), the last for
two seconds; Debian's ffmpeg (`apt-get install ffmpeg`) encodes them as VP9 in WebM, without sound. The
frames are removed afterwards: only tutorial.webm is committed.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LAST_FRAME_SECONDS = 2.0
LONGEST_PAUSE_SECONDS = 4.0


def concat_list(frames, folder):
    lines = ["ffconcat version 1.0"]
    for frame, following in zip(frames, [*frames[1:], None], strict=True):
        seconds = LAST_FRAME_SECONDS if following is None else following["time"] - frame["time"]
        seconds = min(max(seconds, 0.04), LONGEST_PAUSE_SECONDS)
        lines += [f"file '{folder / frame['file']}'", f"duration {seconds:.3f}"]
    lines.append(f"file '{folder / frames[-1]['file']}'")  # so that ffmpeg honours the last duration
    return "\n".join(lines) + "\n"


def main(guide_dir):
    folder = Path(guide_dir).resolve() / "frames"
    frames = json.loads((folder / "frames.json").read_text())
    if not frames:
        sys.exit("No frames recorded: run `make guide`, which records them first.")
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        sys.exit("Needs ffmpeg: apt-get install ffmpeg")
    output = folder.parent / "tutorial.webm"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write(concat_list(frames, folder))
    command = [
        ffmpeg, "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", listing.name,
        "-vf", "fps=15,scale=1280:-2", "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "42", "-row-mt", "1",
        "-an", str(output),
    ]  # fmt: skip
    subprocess.run(command, check=True)  # noqa: S603 (ffmpeg from PATH, our own arguments)
    Path(listing.name).unlink()
    shutil.rmtree(folder)
    print(f"{output}: {len(frames)} frames, {output.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "static/guide")
