"""User text shown as text: file names, column names, class labels, URL and JSON values.

Streamlit renders Markdown in messages, captions and labels: links, images, emphasis, headings,
LaTeX (``$``), icons and colours (``:material/x:``, ``:red[...]``), web addresses and e-mail
addresses (GFM autolinks) and HTML entities. ``inert`` backslash-escapes the marks that start
any of them (CommonMark shows an escaped mark as itself; ``www.`` loses its autolink by its
escaped dot) and folds line breaks into spaces (a new line could start a heading or a list), so
user text reads as typed and never becomes a link, an image or HTML. Commas, plain dots,
hyphens and quotes stay as they are: they start nothing inside a line.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"[\\`*_\[\]()#<>!|~$&:@{}^]|(?<=www)\.", re.IGNORECASE)
_BREAKS = re.compile(r"\s*[\r\n\v\f\u2028\u2029]+\s*")


def inert(text) -> str:
    """``text`` escaped for Streamlit Markdown: shown exactly as written, never interpreted
    (``[fix](http://x.io)`` becomes ``\\[fix\\]\\(http\\://x.io\\)``)."""
    return _SPECIAL.sub(lambda mark: "\\" + mark.group(0), _BREAKS.sub(" ", str(text)))
