"""User text shown as text: file names, column names, class labels, URL and JSON values.

Streamlit renders Markdown in messages, captions and labels: links, images, emphasis, headings,
LaTeX (``$``), colour directives (``:red[...]``) and HTML. ``inert`` backslash-escapes the marks
that start any of them (CommonMark shows an escaped mark as itself) and folds line breaks into
spaces (a new line could start a heading or a list). Some rewrites run on the text after the
escapes are gone: web and e-mail addresses become links (GFM autolinks) and ``:smile:`` or
``:material/home:`` become icons. An invisible word joiner (U+2060) after every ``:``, before
every ``@`` and inside ``www.`` breaks those patterns. So user text reads as typed and never
becomes a link, an image or HTML.
"""

from __future__ import annotations

import re

_MARKS = re.compile(r"[\\`*_\[\]()#<>!|~$&{}^]")  # what starts Markdown syntax in a line
_REWRITES = re.compile(r"(?<=:)|(?=@)|(?<=www)(?=\.)", re.IGNORECASE)  # autolinks and icons
_BREAKS = re.compile(r"\s*[\r\n\v\f\u2028\u2029]+\s*")
WORD_JOINER = "\u2060"


def inert(text) -> str:
    """``text`` escaped for Streamlit Markdown: shown exactly as written, never interpreted
    (``[fix](http://x.io)`` becomes ``\\[fix\\]\\(http:`` + U+2060 + ``//x.io\\)``)."""
    text = _MARKS.sub(lambda mark: "\\" + mark.group(0), _BREAKS.sub(" ", str(text)))
    return _REWRITES.sub(WORD_JOINER, text)
