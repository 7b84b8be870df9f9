"""lossdash.ui.text.inert: user text escaped so Markdown shows it as written."""

import pytest

from lossdash.ui.text import WORD_JOINER as WJ
from lossdash.ui.text import inert


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[fix](http://example.com)", rf"\[fix\]\(http:{WJ}//example.com\)"),
        ("![p](http://h/p.png)", rf"\!\[p\]\(http:{WJ}//h/p.png\)"),
        ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert\(1\)\>"),
        ("*b* _i_ `c` ~s~ $x$", r"\*b\* \_i\_ \`c\` \~s\~ \$x\$"),
        (":red[x] :material/home:", rf":{WJ}red\[x\] :{WJ}material/home:{WJ}"),
        ("&lt; a|b #h", r"\&lt; a\|b \#h"),
        ("www.example.com me@example.com", f"www{WJ}.example.com me{WJ}@example.com"),
        ("back\\slash", r"back\\slash"),
    ],
)
def test_markdown_marks_are_escaped(text, escaped):
    assert inert(text) == escaped


def test_line_breaks_fold_into_one_space():
    assert inert("a\n\n# b\r\nc") == r"a \# b c"


def test_plain_words_commas_and_dots_stay_as_they_are():
    assert inert("price, in 1.5 EUR - 'net'") == "price, in 1.5 EUR - 'net'"
