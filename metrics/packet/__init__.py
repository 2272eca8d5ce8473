"""Briefing packet (accessible HTML, and PDF) and follow-up memo for the stat session.

``build_packet_html`` writes the pre-read, ``followup_memo_html`` the one-page memo to the
agencies, and ``html_to_pdf`` prints either with headless Chromium.
"""

from .briefing import build_packet_html, summary_sentences
from .memo import followup_memo_html
from .pdf import PdfError, find_chromium, html_to_pdf

__all__ = ["PdfError", "build_packet_html", "find_chromium", "followup_memo_html", "html_to_pdf",
           "summary_sentences"]
