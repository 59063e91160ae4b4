"""Reads the text of one PDF for the NHS-number guard, in a process of its own (see file_text.pdf_texts).

Run as `python -I pdf_worker.py MAX_PAGES CPU_SECONDS MEMORY_BYTES` with the PDF on standard input. It
prints JSON: {"texts": [[where, text], ...]}, where is "text" or "metadata"; or {"problem": why}.
It imports nothing from the project, so that it starts quickly and a hostile file meets only pypdf.
"""

import io
import json
import resource
import sys


def _page_texts(page):
    yield page.extract_text()
    for annotation in page.get("/Annots") or []:  # comments, sticky notes, form widgets
        annotation = annotation.get_object()
        yield from (str(annotation.get(key, "")) for key in ("/Contents", "/T", "/V"))


def _metadata(reader):
    yield from (str(value) for value in (reader.metadata or {}).values())
    xmp = reader.trailer["/Root"].get("/Metadata")
    if xmp is not None:
        yield xmp.get_object().get_data().decode("utf-8", errors="replace")
    yield from (str(field.get("/V", "")) for field in (reader.get_fields() or {}).values())


def read(data, max_pages):
    """The PDF's texts, or the problem that stops them being read."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        return {"problem": "encrypted"}
    if not 0 < len(reader.pages) <= max_pages:
        return {"problem": "pages" if reader.pages else "unreadable"}
    if reader.attachments:
        return {"problem": "embedded files"}
    texts = [["text", text] for page in reader.pages for text in _page_texts(page)]
    texts.extend(["metadata", text] for text in _metadata(reader))
    return {"texts": texts}


def main():
    max_pages, cpu_seconds, memory_bytes = (int(arg) for arg in sys.argv[1:4])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        result = read(sys.stdin.buffer.read(), max_pages)
    except Exception:  # pypdf raises many kinds of error on a malformed file: each means it cannot be read
        result = {"problem": "unreadable"}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
