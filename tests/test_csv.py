"""Tests for lossdash.data.read_csv / load_csv: hostile files give DataErrors in the user's words.

Every hostile file is built here in memory (bytes, BytesIO) or in tmp_path.
"""

import io

import numpy as np
import pandas as pd
import pytest

from lossdash import data
from lossdash.data import DataError

LEAKS = ("could not convert", "Error tokenizing", "codec", "Traceback", "C error", "dtype")


def error(source, **kwargs) -> str:
    """The DataError message of load_csv(source), checked for leaked pandas/codec wording."""
    with pytest.raises(DataError) as err:
        data.load_csv(source, **kwargs)
    text = str(err.value)
    for leak in LEAKS:
        assert leak not in text
    return text


class FakeUpload(io.BytesIO):
    """Like streamlit's UploadedFile: a BytesIO with a name and a size."""

    def __init__(self, content: bytes, name: str = "data.csv"):
        super().__init__(content)
        self.name, self.size = name, len(content)


SIMPLE = "a,b,y\n1,2,3\n4,5,6\n7,8,10\n"


# --- files that load -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda p: SIMPLE.encode(),
        lambda p: bytearray(SIMPLE.encode()),
        lambda p: io.BytesIO(SIMPLE.encode()),
        lambda p: io.StringIO(SIMPLE),
        lambda p: FakeUpload(SIMPLE.encode()),
        lambda p: (p / "d.csv").write_text(SIMPLE) and p / "d.csv",
        lambda p: (p / "d.csv").write_text(SIMPLE) and str(p / "d.csv"),
    ],
    ids=["bytes", "bytearray", "BytesIO", "StringIO", "UploadedFile", "Path", "str-path"],
)
def test_sources_of_every_kind_load(tmp_path, make):
    df = data.read_csv(make(tmp_path))
    assert list(df.columns) == ["a", "b", "y"]
    assert df.to_numpy().tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 10]]


def test_an_upload_read_before_is_read_from_the_start():
    upload = FakeUpload(SIMPLE.encode())
    upload.read()  # a previous Streamlit rerun consumed it
    assert len(data.read_csv(upload)) == 3


@pytest.mark.parametrize(
    "text",
    [
        "a;b;y\n1;2;3\n4;5;6\n7;8;10\n",
        "a\tb\ty\n1\t2\t3\n4\t5\t6\n7\t8\t10\n",
        "a|b|y\n1|2|3\n4|5|6\n7|8|10\n",
        "a, b, y\n1, 2, 3\n4, 5, 6\n7, 8, 10\n",
        "a,b,y\r\n1,2,3\r\n4,5,6\r\n7,8,10\r\n",
        "\n\na,b,y\n1,2,3\n\n4,5,6\n7,8,10\n\n\n",
        'a,b,"y"\n"1",2,3\n4,5,6\n7,8,10\n',
    ],
    ids=["semicolon", "tab", "pipe", "spaces", "crlf", "blank-lines", "quotes"],
)
def test_separators_and_layouts_are_recognized(text):
    df = data.read_csv(text.encode())
    assert list(df.columns) == ["a", "b", "y"]
    assert df.to_numpy(dtype=float).tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 10]]


def test_semicolon_file_with_decimal_commas():
    df = data.read_csv(b"x;y\n1,5;2\n2,25;3\n-3,0;4\n")
    assert df["x"].tolist() == [1.5, 2.25, -3.0]


def test_quoted_values_may_contain_the_separator():
    df = data.read_csv(b'name,x,y\n"Smith, J",1,2\n"Doe, A",3,4\n"Roe, B",5,7\n')
    assert df["name"].tolist() == ["Smith, J", "Doe, A", "Roe, B"]


@pytest.mark.parametrize(
    "encoded",
    [
        b"\xef\xbb\xbf" + "café,y\n1,2\n3,4\n5,7\n".encode(),
        "café,y\n1,2\n3,4\n5,7\n".encode("utf-16"),
        "café,y\n1,2\n3,4\n5,7\n".encode("utf-16-be"),
        "café,y\n1,2\n3,4\n5,7\n".encode("utf-16-le"),
        b"\xfe\xff" + "café,y\n1,2\n3,4\n5,7\n".encode("utf-16-be"),
        "café,y\n1,2\n3,4\n5,7\n".encode("utf-32"),
        "café,y\n1,2\n3,4\n5,7\n".encode("latin-1"),
        "café,y\n1,2\n3,4\n5,7\n".encode("cp1252"),
    ],
    ids=[
        "utf8-bom",
        "utf16-bom",
        "utf16be-no-bom",
        "utf16le-no-bom",
        "utf16be-bom",
        "utf32",
        "latin1",
        "cp1252",
    ],
)
def test_encodings_decode_the_cafe_header(encoded):
    df = data.read_csv(encoded)
    assert list(df.columns) == ["café", "y"]
    assert df["y"].tolist() == [2, 4, 7]


def test_windows_1252_euro_sign_is_decoded():
    df = data.read_csv("x,unit\n1,€\n2,€\n3,$\n".encode("cp1252"))
    assert df["unit"].tolist() == ["€", "€", "$"]


def test_booleans_load_as_0_and_1_features():
    ds = data.load_csv(b"flag,other,y\nTrue,false,1.5\nFalse,TRUE,2\ntrue,False,3.5\n")
    assert ds.feature_names == ["flag", "other"]
    np.testing.assert_array_equal(ds.X, [[1, 0], [0, 1], [1, 0]])


def test_trailing_separators_on_every_line_are_ignored():
    df = data.read_csv(b"a,b,\n1,2,\n3,4,\n5,6,\n")
    assert list(df.columns) == ["a", "b"]


def test_header_names_are_stripped():
    assert list(data.read_csv(b" a ,  b\n1,2\n3,4\n5,6\n").columns) == ["a", "b"]


def test_exactly_max_columns_load():
    header = ",".join(f"c{j}" for j in range(data.MAX_COLUMNS))
    row = ",".join("1" for _ in range(data.MAX_COLUMNS))
    df = data.read_csv(f"{header}\n{row}\n{row}\n{row}\n".encode())
    assert df.shape == (3, data.MAX_COLUMNS)


def test_load_csv_passes_the_choices_on():
    ds = data.load_csv(
        b"a,b,kind\n1,2,cat\n3,4,dog\n5,,cat\n7,8,dog\n",
        features=["a", "b"],
        target="kind",
        drop_missing=True,
    )
    assert ds.task == "classification" and ds.classes == ["cat", "dog"]
    assert ds.y.tolist() == [0, 1, 1]
    assert any("data row 3" in note for note in ds.notes)


# --- files that do not load ------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\n  \r\n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_empty_file(content):
    assert "the file is empty" in error(content)


def test_header_only():
    text = error(b"a,b,price\n")
    assert "has a header (a, b, price) but no data rows" in text and "at least 3" in text


@pytest.mark.parametrize(("rows", "said"), [(1, "only 1 data row;"), (2, "only 2 data rows;")])
def test_too_few_rows_say_the_minimum(rows, said):
    text = error(b"a,b\n" + b"1,2\n" * rows)
    assert said in text and f"at least {data.MIN_ROWS}" in text


@pytest.mark.parametrize(
    "content",
    [
        b"a,b\n1,2\x00\x00\x00\x01\x02\n3,4\n",
        bytes(range(1, 32)) * 40,
        np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes(),
    ],
    ids=["nul-bytes", "control-characters", "random-bytes"],
)
def test_binary_garbage_is_not_a_csv_text_file(content):
    assert "this does not look like a CSV text file" in error(content)


def test_an_excel_workbook_is_recognized():
    text = error(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100)
    assert "Excel workbook (.xlsx)" in text and "CSV" in text


def test_broken_utf16_says_so():
    assert "not valid UTF-16" in error(b"\xff\xfe" + "a,b\n".encode("utf-16-le") + b"\x00\xd8")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,2,3\n4,5,6\n7,8,9,10,11\n1,2,3\n",
            "row 6 of the data (line 7 of the file) has 5 fields, the header has 3",
        ),
        (b"a,b,c\n1,2,3\n4,5\n7,8,9\n", "row 2 of the data (line 3 of the file) has 2 fields"),
        (b'a,b,c\n1,2,3\n"x,y",5,6,7\n7,8,9\n', "(line 3 of the file) has 4 fields"),
        (b"a;b;c\n1;2;3\n4;5;6;7\n1;2;3\n7;8;9\n", "semicolon (';')"),
    ],
    ids=["extra-fields", "missing-fields", "quoted-extra-fields", "semicolon"],
)
def test_ragged_rows_name_the_row_and_field_counts(content, said):
    assert said in error(content)


def test_ragged_rows_count_the_other_bad_rows():
    assert "(2 more rows too)" in error(b"a,b\n1,2\n1,2,3\n1,2\n1\n1,2,3,4\n")


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("a,b,c,d,a", "column 'a' appears twice in the header (columns 1 and 5)"),
        ("x,a,c,d,a", "column 'a' appears twice in the header (columns 2 and 5)"),
        ("a,a,a,b,c", "column 'a' appears 3 times in the header (columns 1, 2 and 3)"),
        ("x, a,c,d,a ", "columns 2 and 5"),
    ],
    ids=["first-and-last", "two-and-five", "three-times", "with-spaces"],
)
def test_duplicate_headers_say_rename_one(header, said):
    text = error(f"{header}\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n".encode())
    assert said in text and "rename one" in text


def test_empty_header_name_over_data_says_give_it_a_name():
    assert "column 2 has no name in the header" in error(b"a,,y\n1,2,3\n4,5,6\n7,8,9\n")


def test_a_first_line_of_separators_asks_for_a_header():
    assert "the first line has no column names" in error(b",,\n1,2,3\n4,5,6\n7,8,9\n")


def test_a_dos_end_of_file_mark_is_ignored():
    assert len(data.read_csv(b"a,b\n1,2\n3,4\n5,6\n\x1a")) == 3


def test_numbers_in_the_first_line_ask_for_a_header():
    text = error(b"1,2,3\n4,5,6\n7,8,9\n1,1,1\n")
    assert "the first line (1,2,3) holds numbers, not column names" in text


def test_a_million_character_line_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(pd, "read_csv", _must_not_parse)
    text = error(b"a,b\n1,2\n" + b"1" * 1_000_000 + b",2\n3,4\n")
    assert "line 3 of the file has 1,000,002 characters" in text
    assert f"{data.MAX_LINE_CHARS:,}" in text


@pytest.mark.parametrize("n_columns", [data.MAX_COLUMNS + 1, 5_000])
def test_too_many_columns_are_refused_before_parsing(monkeypatch, n_columns):
    monkeypatch.setattr(pd, "read_csv", _must_not_parse)
    header = ",".join(f"c{j}" for j in range(n_columns))
    row = ",".join("1" for _ in range(n_columns))
    text = error(f"{header}\n{row}\n{row}\n{row}\n".encode())
    assert f"the file has {n_columns:,} columns; the limit is 1,000" in text


@pytest.mark.parametrize("quote", ["", '"'], ids=["plain", "quoted"])
def test_too_many_rows_are_refused_before_parsing(monkeypatch, quote):
    monkeypatch.setattr(pd, "read_csv", _must_not_parse)
    content = f"{quote}a{quote},b\n".encode() + b"1,2\n" * (data.MAX_ROWS + 1)
    assert "the file has 200,001 data rows; the limit is 200,000" in error(content)


def test_too_many_bytes_are_refused():
    text = error(b"a,b\n" + b"1" * data.MAX_BYTES)
    assert "larger than the limit of 50 MB" in text


def test_max_bytes_matches_the_streamlit_upload_limit():
    assert data.MAX_BYTES == 50 * 2**20


def test_a_big_upload_is_refused_without_reading_it():
    upload = FakeUpload(b"a,b\n1,2\n3,4\n5,6\n")
    upload.size = data.MAX_BYTES + 1
    upload.read = _must_not_parse
    assert "larger than the limit of 50 MB (it is 50.0 MB)" in error(upload)


def test_a_big_file_on_disk_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(data.MAX_BYTES + 10 * 2**20)  # sparse: no real 60 MB write
    assert "(it is 60.0 MB)" in error(path)


def test_unclosed_quote_names_the_line():
    text = error(b'a,b\n1,2\n"3,4\n5,6\n7,8\n')
    assert 'line 3 of the file has a double quote (") that is never closed' in text


def test_missing_path():
    assert "there is no file at" in error("/no/such/file.csv")


def test_csv_text_passed_as_a_path_gets_a_hint():
    assert "pass bytes or io.StringIO" in error(SIMPLE)


def test_unsupported_source_type():
    assert "expected a file path, bytes or an uploaded file, not int" in error(42)


def test_single_column_file_hints_at_the_separator():
    text = error(b"a:b:y\n1:2:3\n4:5:6\n7:8:9\n")
    assert "only one column" in text and "separator" in text


def test_missing_values_in_a_file_use_data_row_numbers():
    text = error(b"x,price\n1,2\n2,\n3,4\n,5\nNA,6\n")
    assert "column 'price' has 1 empty cell (data row 2)" in text
    assert "column 'x' has 2 empty cells (data rows 4 and 5)" in text


def test_a_question_mark_in_numbers_is_named():
    text = error(b"age,y\n31,1.5\n?,2\n45,3\n52,4\n")
    assert "column 'age' has 1 cell that is not a number ('?' in data row 2)" in text


HOSTILE = [
    b"\n\n\n",
    b",,,\n,,,\n,,,\n,,,\n",
    b"a,b\n,\n,\n,\n",
    b'"""\n"""\n',
    b'a,b\n"1""2",3\n4,5\n6,7\n',
    b"a,b\n1,2\n3,4\n5,6\n\x1a",
    b"a\n1\n2\n3\n",
    b"a,b\n1e999,2\n3,4\n5,6\n",
    b"a,b\n0x1F,2\n3,4\n5,6\n",
    "a,b\n\u00a0,2\n3,4\n5,6\n".encode(),
    b"\xef\xbb\xbf\xef\xbb\xbfa,b\n1,2\n3,4\n5,6\n",
    b"a,b\n" + b"9" * 400 + b",1\n1,2\n3,4\n",
    b";;;\n;;;\n",
    b'a,b\n1,2\n3,4\n5,6\n"',
]


@pytest.mark.parametrize("content", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_files_load_or_raise_a_data_error_without_leaks(content):
    try:
        ds = data.load_csv(content)
    except DataError as err:
        for leak in LEAKS:
            assert leak not in str(err)
    else:
        assert np.isfinite(ds.X).all()


def _must_not_parse(*args, **kwargs):
    raise AssertionError("this must be refused before it is parsed / read")
