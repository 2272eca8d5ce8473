"""Print an HTML document to PDF with headless Chromium, and read a PDF's text back.

``pdf_text`` is a small reader for the PDFs Chromium writes (Skia: Flate streams, Type0
fonts with ToUnicode maps); it lets tests and checks confirm a PDF holds real text without
another dependency.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

__all__ = ["PdfError", "find_chromium", "html_to_pdf", "pdf_text"]


class PdfError(RuntimeError):
    """The PDF could not be printed (no Chromium, or Chromium failed)."""


def find_chromium() -> str | None:
    """Chromium's path: ``STATDESK_CHROMIUM``, /usr/bin/chromium, or on PATH."""
    for p in (os.environ.get("STATDESK_CHROMIUM"), "/usr/bin/chromium",
              shutil.which("chromium"), shutil.which("chromium-browser"),
              shutil.which("google-chrome")):
        if p and Path(p).exists():
            return p
    return None


def html_to_pdf(html: str, out_path: str | Path, *, timeout: float = 120) -> Path:
    """Print ``html`` to ``out_path`` (US Letter, no header or footer) with headless Chromium."""
    out = Path(out_path).resolve()
    browser = find_chromium()
    if browser is None:
        raise PdfError("Chromium was not found, so the PDF cannot be printed. Install Debian's "
                       "chromium ('apt-get install chromium') or set STATDESK_CHROMIUM to its "
                       "path; the HTML version works without it.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="statdesk-pdf-") as tmp:
        src = Path(tmp) / "packet.html"
        src.write_text(html, encoding="utf8")
        target = Path(tmp) / "packet.pdf"
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--print-to-pdf={target}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium did not finish printing within {timeout:.0f} s.") from exc
        if not target.exists() or target.stat().st_size == 0:
            tail = "\n".join((proc.stderr or "").strip().splitlines()[-3:])
            raise PdfError(f"Chromium could not print the PDF (exit code {proc.returncode}). {tail}")
        shutil.move(str(target), out)
    return out


_OBJ = re.compile(rb"(\d+)\s+0\s+obj\b")


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary text, decoded stream or None)."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    pos = 0
    while m := _OBJ.search(data, pos):
        start = m.end()
        s = data.find(b"stream", start)
        e = data.find(b"endobj", start)
        if e < 0:
            break
        if 0 <= s < e:
            head = data[start:s]
            body_start = s + len(b"stream")
            body_start += 2 if data[body_start:body_start + 2] == b"\r\n" else 1
            length = re.search(rb"/Length\s+(\d+)(?!\s+0\s+R)", head)
            end = body_start + int(length.group(1)) if length else data.find(b"endstream", body_start)
            raw = data[body_start:end]
            if b"FlateDecode" in head:
                try:
                    raw = zlib.decompress(raw)
                except zlib.error:
                    raw = b""
            out[int(m.group(1))] = (head, raw)
            e = data.find(b"endobj", end)
            if e < 0:
                break
        else:
            out[int(m.group(1))] = (data[start:e], None)
        pos = e + len(b"endobj")
    return out


def _cmap(text: bytes) -> dict[int, str]:
    table: dict[int, str] = {}

    def uni(h: bytes) -> str:
        return bytes.fromhex(h.decode()).decode("utf-16-be", errors="replace")

    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            table[int(src, 16)] = uni(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for a, b, rest in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])",
                                     block):
            lo, hi = int(a, 16), int(b, 16)
            if rest.startswith(b"["):
                for i, h in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", rest)):
                    table[lo + i] = uni(h)
            else:
                base = int(rest[1:-1], 16)
                for i in range(hi - lo + 1):
                    table[lo + i] = chr(base + i)
    return table


def _unescape(s: bytes) -> bytes:
    return re.sub(rb"\\([()\\])", rb"\1", s)


_TOKENS = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\[((?:[^\]\\]|\\.)*)\]\s*TJ|"
                     rb"<([0-9A-Fa-f]*)>\s*Tj|\(((?:[^)\\]|\\.)*)\)\s*Tj")


def pdf_text(data: bytes) -> str:
    """The text of a PDF written by Chromium, one line per text run, pages in order."""
    objs = _objects(data)
    cmaps: dict[int, dict[int, str]] = {}
    for num, (head, _stream) in objs.items():
        ref = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", head)
        if ref and int(ref.group(1)) in objs:
            cmaps[num] = _cmap(objs[int(ref.group(1))][1] or b"")
    pages = [(num, head) for num, (head, _s) in objs.items() if re.search(rb"/Type\s*/Page\b", head)]
    lines: list[str] = []
    for _num, head in sorted(pages, key=lambda p: p[0]):
        fonts = {name: int(ref) for name, ref in re.findall(rb"/(F\d+)\s+(\d+)\s+0\s+R", head)}
        contents = re.search(rb"/Contents\s+(?:\[(.*?)\]|(\d+)\s+0\s+R)", head, re.S)
        refs = ([int(r) for r in re.findall(rb"(\d+)\s+0\s+R", contents.group(1))]
                if contents and contents.group(1) else
                [int(contents.group(2))] if contents else [])
        for content_ref in refs:
            stream = objs.get(content_ref, (b"", None))[1] or b""
            table: dict[int, str] = {}
            for block in re.findall(rb"\bBT\b(.*?)\bET\b", stream, re.S):
                run = []
                for tok in _TOKENS.finditer(block):
                    if tok.group(1):
                        table = cmaps.get(fonts.get(tok.group(1), -1), {})
                    elif tok.group(4) is not None:
                        run.append(_unescape(tok.group(4)).decode("latin-1"))
                    else:
                        pieces = ([tok.group(3)] if tok.group(3) is not None
                                  else re.findall(rb"<([0-9A-Fa-f]*)>", tok.group(2) or b""))
                        run.extend(table.get(int(h[i:i + 4], 16), "") for h in pieces
                                   for i in range(0, len(h) - 3, 4))
                if "".join(run).strip():
                    lines.append("".join(run))
    return "\n".join(lines)
