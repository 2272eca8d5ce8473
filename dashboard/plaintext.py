"""Text from data shown literally in Streamlit's Markdown (titles, headers, captions, boxes).

Streamlit renders Markdown in ``st.markdown`` and also in titles, headers, captions,
``st.write`` of a string and the message boxes: a KPI name such as
``![x](https://elsewhere/p.png)`` would make every browser fetch from an outside host, and
a crafted link in an address would become a clickable link in an official error.
:func:`plain` escapes every Markdown character and breaks up bare addresses, so data is
shown as the characters it is.
"""

from __future__ import annotations

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|$~"})


def plain(text: object) -> str:
    """``text`` for any Streamlit element that renders Markdown, shown literally."""
    out = str(text).translate(_MD_SPECIAL)
    for bare, broken in (("://", ":\\/\\/"), ("www.", "www\\."), ("WWW.", "WWW\\.")):
        out = out.replace(bare, broken)
    return out


__all__ = ["plain"]
