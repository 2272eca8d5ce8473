"""Print an HTML document to PDF with headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PdfError", "find_chromium", "html_to_pdf"]


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

