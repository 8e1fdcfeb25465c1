"""Own corpora (DESIGN §6): every input form, verbatim.toml, metadata, partial dates and the messages
a user meets, on small corpora each test writes itself."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from index.dates import DAY, MONTH, YEAR, format_partial, last_day, overlaps, parse_partial_date
from index.errors import TranscriptParseError
from index.models import ADDRESS, NARRATION, SPEECH, Transcript
from index.parse import MAX_RECORDS_BYTES, iter_transcripts, parse_records, read_file, source_files
from manage import cli

DEBATE = [
    {"transcript_id": "d1", "title": "First debate", "date": "2012-10-03", "speaker": "Jim Lehrer", "role": "Moderator",
     "text": "Good evening from Denver.", "place": "Denver", "cycle": "2012"},
    {"transcript_id": "d1", "speaker": "Barack Obama", "role": "President", "text": "Thank you, Jim."},
    {"transcript_id": "d2", "title": "Second debate", "date": "2012", "speaker": "Mitt Romney", "text": "Jobs.",
     "topics": ["Economy", "Jobs"]},
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def turns(transcript: Transcript) -> list[tuple[str, str, str, str]]:
    return [(u.kind, u.speaker, u.role, u.text) for u in transcript.utterances]


def problems_of(path: Path) -> list[str]:
    return [str(p) for p in read_file(path).problems]


def error_of(path: Path) -> str:
    with pytest.raises(TranscriptParseError) as caught:
        read_file(path)
    return str(caught.value)


# --- partial dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "precision", "last"),
    [
        ("2011", dt.date(2011, 1, 1), YEAR, dt.date(2011, 12, 31)),
        ("2011-09", dt.date(2011, 9, 1), MONTH, dt.date(2011, 9, 30)),
        ("2012-02", dt.date(2012, 2, 1), MONTH, dt.date(2012, 2, 29)),
        ("2011-09-21", dt.date(2011, 9, 21), DAY, dt.date(2011, 9, 21)),
    ],
)
def test_partial_dates_keep_their_precision(text: str, first: dt.date, precision: str, last: dt.date) -> None:
    assert parse_partial_date(text) == (first, precision)
    assert format_partial(first, precision) == text
    assert last_day(first, precision) == last


@pytest.mark.parametrize("text", ["11", "2011-13", "2011-02-30", "Sept 2011", "2011/09/21", ""])
def test_bad_dates_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY, YYYY-MM or YYYY-MM-DD|bad date"):
        parse_partial_date(text)


def test_a_partial_date_matches_a_range_its_period_overlaps() -> None:
    year = dt.date(2011, 1, 1)
    assert overlaps(year, YEAR, dt.date(2011, 9, 1), dt.date(2011, 9, 30))
    assert overlaps(year, YEAR, dt.date(2010, 6, 1), dt.date(2011, 1, 1))
    assert not overlaps(year, YEAR, dt.date(2012, 1, 1), None)
    assert not overlaps(year, YEAR, None, dt.date(2010, 12, 31))
    assert not overlaps(dt.date(2011, 9, 1), MONTH, dt.date(2011, 10, 1), None)


def test_transcript_json_round_trips_a_partial_date_and_metadata(tmp_path: Path) -> None:
    (transcript,) = read_file(write(tmp_path / "a.jsonl", jsonl([DEBATE[2]]))).transcripts
    data = transcript.to_dict()
    assert (data["date"], transcript.date, transcript.date_precision) == ("2012", dt.date(2012, 1, 1), YEAR)
    assert Transcript.from_dict(data) == transcript


# --- JSONL --------------------------------------------------------------------------------------


def test_jsonl_groups_lines_keeps_unknown_keys_as_metadata(tmp_path: Path) -> None:
    first, second = read_file(write(tmp_path / "debates.jsonl", jsonl(DEBATE))).transcripts
    assert (first.id, first.title, first.date_text, first.place, dict(first.meta)) == (
        "d1", "First debate", "2012-10-03", "Denver", {"cycle": "2012"},
    )
    assert turns(first) == [
        (SPEECH, "Jim Lehrer", "Moderator", "Good evening from Denver."),
        (SPEECH, "Barack Obama", "President", "Thank you, Jim."),
    ]
    assert (second.date_text, second.topics, dict(second.meta)) == ("2012", ("Economy", "Jobs"), {})


def test_jsonl_seq_orders_the_turns(tmp_path: Path) -> None:
    records = [
        {"transcript_id": "t", "date": "2020", "seq": 2, "speaker": "B", "text": "second"},
        {"transcript_id": "t", "seq": 1, "speaker": "A", "text": "first"},
    ]
    (transcript,) = read_file(write(tmp_path / "t.jsonl", jsonl(records))).transcripts
    assert [(u.seq, u.text) for u in transcript.utterances] == [(0, "first"), (1, "second")]


def test_a_bad_jsonl_line_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    text = jsonl(DEBATE[:1]) + '{"transcript_id": "d1", "text": "cut\n' + jsonl(DEBATE[1:]) + "[1, 2]\n"
    path = write(tmp_path / "d.jsonl", text)
    parsed = read_file(path)
    assert [t.id for t in parsed.transcripts] == ["d1", "d2"]
    assert len(parsed.transcripts[0].utterances) == 2
    assert [str(p) for p in parsed.problems] == [
        f"{path}:2: invalid JSON: Unterminated string starting at (column 33)",
        f"{path}:5: expected a JSON object, found an array",
    ]


def test_id_instead_of_transcript_id_says_what_to_rename(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", jsonl([{"id": "a", "date": "2011", "text": "Hello."}]))
    assert error_of(path) == (
        f"{path}:1: missing transcript_id; found 'id': did you mean transcript_id? "
        '(rename it, or map it in verbatim.toml: [fields] transcript_id = "id")'
    )
    assert path in source_files([tmp_path])  # found in a folder too, so the message is seen


def test_a_misspelt_field_is_kept_as_metadata_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path / "x.jsonl", jsonl([{"transcript_id": "a", "date": "2011", "speeker": "A", "text": "Hi."}]))
    with caplog.at_level(logging.WARNING):
        (transcript,) = read_file(path).transcripts
    assert dict(transcript.meta) == {"speeker": "A"}
    assert f"{path}:1: key 'speeker' is kept as metadata (did you mean speaker?)" in caplog.messages


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"transcript_id": "a", "text": "x"}]', "1: this is a JSON array, not JSON Lines (one object per line): rename the file to .json"),
        ('{\n  "transcript_id": "a"\n}', "1: an object spread over several lines: JSON Lines needs one object per line"),
        ('{"transcript_id": "a", "title": "T", "text": "x"}', "1: transcript 'a': no record gives its date"),
        ('{"transcript_id": "a", "date": "Sept 2011", "text": "x"}', "1: bad date 'Sept 2011' (expected YYYY, YYYY-MM or YYYY-MM-DD)"),
        ('{"transcript_id": "a/b", "date": "2011", "text": "x"}', "1: transcript_id 'a/b' may not contain"),
        ('{"transcript_id": "a", "date": "2011", "text": "x", "topics": 3}', "1: topics must be a list of strings"),
        ("\n\n", "1: no records"),
    ],
)
def test_jsonl_messages(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "c.jsonl", text)
    assert error_of(path).startswith(f"{path}:{message}")


# --- JSON ---------------------------------------------------------------------------------------


def test_json_array_and_utterances_object_read_alike(tmp_path: Path) -> None:
    array = read_file(write(tmp_path / "a.json", json.dumps(DEBATE, indent=2))).transcripts
    wrapped = read_file(write(tmp_path / "b.json", json.dumps({"source": "x", "utterances": DEBATE}, indent=2))).transcripts
    assert [turns(t) for t in array] == [turns(t) for t in wrapped]
    assert [t.id for t in array] == ["d1", "d2"]


def test_a_bad_json_element_names_its_line(tmp_path: Path) -> None:
    records: list[object] = [DEBATE[0], "oops", {"transcript_id": "d1", "speaker": "X"}, DEBATE[1]]
    path = write(tmp_path / "a.json", json.dumps({"meta": {"n": 1}, "utterances": records}, indent=2))
    lines = path.read_text().splitlines()
    oops = next(n for n, line in enumerate(lines, 1) if '"oops"' in line)
    third = next(n for n, line in enumerate(lines, 1) if '"X"' in line) - 2
    parsed = read_file(path)
    assert [str(p) for p in parsed.problems] == [
        f"{path}:{oops}: expected a JSON object, found a string",
        f"{path}:{third}: missing text",
    ]
    assert len(parsed.transcripts[0].utterances) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (jsonl(DEBATE), "2: several JSON values, one after another: this looks like JSON Lines; rename the file to .jsonl"),
        ('{"turns": []}', '1: expected an array of utterance objects or {"utterances": [...]}; found an object with keys: turns'),
        ('"text"', "1: expected an array of utterance objects, found a string"),
        ('[{"transcript_id": "a",', "1: invalid JSON"),
    ],
)
def test_json_messages(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "c.json", text)
    assert error_of(path).startswith(f"{path}:{message}")


# --- CSV / TSV ----------------------------------------------------------------------------------

CSV = """transcript_id,title,date,speaker,role,text,party,topics
d1,First debate,2012-10-03,Jim Lehrer,Moderator,"Good evening, from Denver.",,Economy; Jobs
d1,,,Barack Obama,President,"Thank you, Jim.
And thanks to the university.",Democratic,
"""


def test_csv_rows_are_utterances_and_other_columns_metadata(tmp_path: Path) -> None:
    (transcript,) = read_file(write(tmp_path / "d.csv", CSV)).transcripts
    assert turns(transcript) == [
        (SPEECH, "Jim Lehrer", "Moderator", "Good evening, from Denver."),
        (SPEECH, "Barack Obama", "President", "Thank you, Jim.\nAnd thanks to the university."),
    ]
    assert (transcript.topics, dict(transcript.meta)) == (("Economy", "Jobs"), {"party": "Democratic"})


def test_tsv_reads_like_csv(tmp_path: Path) -> None:
    tsv = "transcript_id\tdate\tspeaker\ttext\nd1\t2012-10\tA\tHello, all.\n"
    (transcript,) = read_file(write(tmp_path / "d.tsv", tsv)).transcripts
    assert (transcript.date_text, turns(transcript)) == ("2012-10", [(SPEECH, "A", "", "Hello, all.")])


def test_a_ragged_row_is_skipped_with_its_line(tmp_path: Path) -> None:
    text = CSV + "d1,x\nd1,,,C,,Last words.,,\n"
    path = write(tmp_path / "d.csv", text)
    parsed = read_file(path)
    assert problems_of(path) == [f"{path}:5: 2 cells where the header has 8 columns"]
    assert [u.speaker for u in parsed.transcripts[0].utterances] == ["Jim Lehrer", "Barack Obama", "C"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("d1,2012,Hello\nd2,2013,Bye\n", "1: the first row names none of the fields (transcript_id, text, title, date, speaker"),
        ("speaker,text\nA,Hello\n", "2: missing transcript_id"),
        ("id,date,text\na,2011,Hello\n", "2: missing transcript_id; found 'id': did you mean transcript_id?"),
        ("transcript_id,text,text\na,b,c\n", "1: column named twice in the header: text"),
        ("", "1: empty file: a header row naming the columns is required"),
    ],
)
def test_csv_messages(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "c.csv", text)
    assert error_of(path).startswith(f"{path}:{message}")


# --- plain-text speeches with a manifest and verbatim.toml --------------------------------------

TOML = """manifest = "manifest.tsv"

[fields]
file = "filename"
date = "year"
speaker = "speaker_name"

[facets]
country = "country_code"
session = "session"
"""


@pytest.fixture
def speeches(tmp_path: Path) -> Path:
    folder = tmp_path / "un"
    write(folder / "ARG_66_2011.txt", "Mr. President,\nallow me to congratulate you.\n\nArgentina reaffirms its rights.\n")
    write(folder / "NOR_67_2012.txt", "Norway supports a strong United Nations.\n")
    write(folder / "manifest.tsv", "filename\tcountry_code\tsession\tyear\tspeaker_name\tnote\n"
          "ARG_66_2011.txt\tARG\t66\t2011\tCristina Fernández\t\n"
          "NOR_67_2012.txt\tNOR\t67\t2012-09\tJonas Gahr Støre\tfirst term\n")
    write(folder / "verbatim.toml", TOML)
    return folder


def test_speeches_with_a_manifest_are_addresses_split_at_paragraphs(speeches: Path) -> None:
    arg, nor = iter_transcripts([speeches])
    assert (arg.id, arg.title, arg.date_text, arg.source) == ("ARG_66_2011", "ARG_66_2011", "2011", str(speeches / "ARG_66_2011.txt"))
    assert turns(arg) == [
        (ADDRESS, "Cristina Fernández", "", "Mr. President, allow me to congratulate you."),
        (ADDRESS, "Cristina Fernández", "", "Argentina reaffirms its rights."),
    ]
    assert (dict(arg.meta), arg.facets) == ({"country": "ARG", "session": "66"}, ("country", "session"))
    assert (nor.date_text, dict(nor.meta)) == ("2012-09", {"country": "NOR", "session": "67", "note": "first term"})


def test_a_manifest_folder_reads_no_text_as_a_site_page(speeches: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(speeches / "unlisted.txt", "Some notes.\n")
    with caplog.at_level(logging.WARNING):
        files = source_files([speeches])
    assert files == [speeches / "ARG_66_2011.txt", speeches / "NOR_67_2012.txt"]
    assert f"{speeches / 'unlisted.txt'}: skipped, not listed in manifest.tsv" in caplog.messages
    assert source_files([speeches / "manifest.tsv"]) == files


def test_a_speech_without_a_speaker_is_narration(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "Text.\n")
    write(tmp_path / "manifest.csv", "file,date,title\na.txt,1999,A statement\n")
    (transcript,) = iter_transcripts([tmp_path])
    assert (transcript.title, turns(transcript)) == ("A statement", [(NARRATION, "", "", "Text.")])


@pytest.mark.parametrize(
    ("manifest", "toml", "where", "message"),
    [
        ("name\tdate\na.txt\t2011\n", "", "manifest.tsv:1", "no 'file' column"),
        ("filename\tdate\na.txt\t2011\n", "", "manifest.tsv:1", "no 'file' column (column 'filename': did you mean file?)"),
        ("file\ttitle\na.txt\tA\n", "", "manifest.tsv:2", "no date for a.txt"),
        ("file\tdate\n", "", "a.txt:0", "not listed in"),
        ("file\tdate\na.txt\t2011\n", "[facets]\nspeaker = \"x\"\n", "verbatim.toml:2", "[facets] speaker: a facet name is"),
        ("file\tdate\na.txt\t2011\n", "[fields]\nspeeker = \"x\"\n", "verbatim.toml:2", "[fields] speeker: not a field (did you mean speaker?)"),
        ("file\tdate\na.txt\t2011\n", "manifets = \"m.tsv\"\n", "verbatim.toml:1", "unknown key 'manifets' (did you mean manifest?)"),
        ("file\tdate\na.txt\t2011\n", "[fields\n", "verbatim.toml:1", "invalid TOML"),
    ],
)
def test_manifest_and_config_messages(tmp_path: Path, manifest: str, toml: str, where: str, message: str) -> None:
    write(tmp_path / "a.txt", "Text.\n")
    write(tmp_path / "manifest.tsv", manifest)
    if toml:
        write(tmp_path / "verbatim.toml", toml)
    assert error_of(tmp_path / "a.txt").startswith(f"{tmp_path / where}: {message}")


def test_verbatim_toml_maps_columns_of_record_files_too(tmp_path: Path) -> None:
    write(tmp_path / "verbatim.toml", '[fields]\ntranscript_id = "debate"\nspeaker = "who"\n[facets]\nparty = "party"\n')
    write(tmp_path / "d.csv", "debate,date,who,text,party\nd1,2012,A,Hello.,Green\n")
    (transcript,) = iter_transcripts([tmp_path])
    assert (transcript.id, turns(transcript), dict(transcript.meta), transcript.facets) == (
        "d1", [(SPEECH, "A", "", "Hello.")], {"party": "Green"}, ("party",),
    )


# --- detection and caps -------------------------------------------------------------------------


def test_folders_skip_record_files_that_hold_no_utterances(tmp_path: Path) -> None:
    write(tmp_path / "turns.jsonl", '{"file": "a.txt", "turn_labels": []}\n')
    write(tmp_path / "package.json", '{"name": "x", "version": "1"}')
    write(tmp_path / "scores.csv", "name,score\na,1\n")
    keep = write(tmp_path / "d.json", json.dumps(DEBATE))
    assert source_files([tmp_path]) == [keep]


def test_every_form_is_capped_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as stream:
        stream.truncate(MAX_RECORDS_BYTES + 1)  # sparse: nothing is written or read
    assert "file too large (256.0 MB > 256 MB) to read at once; split it into several files" in error_of(path)


def test_a_file_the_manifest_lists_but_that_is_missing_fails_the_run(speeches: Path, tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A speech listed in the manifest whose file is not there is named by the manifest's line, and
    the run exits 1 (it was silently left out when the folder was given)."""
    with (speeches / "manifest.tsv").open("a", encoding="utf-8") as manifest:
        manifest.write("FRA_67_2012.txt\tFRA\t67\t2012\tFrançois Hollande\t\n")
    with caplog.at_level(logging.WARNING):
        files = source_files([speeches])
    assert files[-1] == speeches / "FRA_67_2012.txt"
    assert (f"{speeches / 'manifest.tsv'}:4: FRA_67_2012.txt is listed but there is no such file in {speeches} "
            "(correct its file cell, or add the file)") in caplog.messages

    result = CliRunner().invoke(cli, ["reindex", str(speeches), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert "2 transcripts" in result.stdout
    assert f"{speeches / 'FRA_67_2012.txt'}:0: cannot read" in result.output


def test_one_command_indexes_every_form_with_its_facets(tmp_path: Path, speeches: Path) -> None:
    write(tmp_path / "debates" / "d.jsonl", jsonl(DEBATE))
    write(tmp_path / "debates" / "e.csv", CSV.replace("d1", "e1"))
    write(tmp_path / "interviews.json", json.dumps([{"transcript_id": "i1", "date": "2011-09", "text": "Hi.", "outlet": "Zeit"}]))
    index_dir = tmp_path / "index"

    result = CliRunner().invoke(cli, ["reindex", str(tmp_path), "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "6 transcripts, 9 utterances." in result.stdout
    stats = CliRunner().invoke(cli, ["stats", "--json", "--index", str(index_dir)])
    assert json.loads(stats.stdout)["facets"] == {"country": 2, "session": 2}


# --- property: every good line is indexed -------------------------------------------------------

good_line = st.builds(
    lambda tid, text: json.dumps({"transcript_id": tid, "date": "2011", "text": text}),
    st.sampled_from(["a", "b", "c"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20).filter(str.strip),
)
bad_line = st.sampled_from(['{"transcript_id": "a"', "[1]", '"x"', '{"text": "no id"}', '{"transcript_id": "a", "text": 5, "seq": "x"}', "nul"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), good_line, bad_line), min_size=1, max_size=12))
def test_every_good_line_is_read_whatever_the_bad_lines(lines: list[tuple[bool, str, str]]) -> None:
    text = "\n".join(good if keep else bad for keep, good, bad in lines)
    expected = [json.loads(good) for keep, good, bad in lines if keep]
    bad_count = sum(1 for keep, _good, _bad in lines if not keep)
    try:
        transcripts, problems = parse_records(text, source="p.jsonl", suffix=".jsonl")
    except TranscriptParseError as error:  # only a file with nothing usable fails as a whole
        assert not expected, error
        return
    read = [(u.transcript_id, u.text) for t in transcripts for u in t.utterances]
    assert sorted(read) == sorted((r["transcript_id"], r["text"].strip()) for r in expected)
    assert len(problems) == bad_count


def test_a_manifest_describing_site_pages_leaves_them_site_pages(tmp_path: Path) -> None:
    """The real corpus's folder has a manifest.tsv (file, title, date, …) beside its pages: they stay pages."""
    from helpers import KERRY_MEETING

    write(tmp_path / "kremlin-1.txt", KERRY_MEETING)
    write(tmp_path / "kremlin-2.txt", KERRY_MEETING)  # not listed: still a page
    write(tmp_path / "manifest.tsv", "file\ttitle\tdate\nkremlin-1.txt\tMeeting\t2013-05-07\n")
    first, second = iter_transcripts([tmp_path])
    assert [t.id for t in (first, second)] == ["kremlin-1", "kremlin-2"]
    assert [u.kind for u in first.utterances] == [NARRATION, NARRATION, SPEECH, SPEECH, SPEECH]
    assert first.place == "The Kremlin, Moscow"


def test_a_line_separator_inside_a_jsonl_string_does_not_split_the_line(tmp_path: Path) -> None:
    record = {"transcript_id": "a", "date": "2011", "text": "one\u2028two\u0085three"}
    path = tmp_path / "a.jsonl"
    path.write_bytes((json.dumps(record, ensure_ascii=False) + "\r\n").encode("utf-8"))
    parsed = read_file(path)
    assert (parsed.problems, parsed.transcripts[0].utterances[0].text) == ((), "one\u2028two\u0085three")


def test_a_line_separator_inside_a_csv_cell_does_not_split_the_row(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("transcript_id,date,text\r\na,2011,one\u2028two\r\n", encoding="utf-8")
    parsed = read_file(path)
    assert (parsed.problems, parsed.transcripts[0].utterances[0].text) == ((), "one\u2028two")


def test_capitalised_field_columns_are_the_fields(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A spreadsheet's `Transcript_ID,Speaker,Date,Text` header (with a BOM and Windows line ends)
    names the fields; a folder scan reads it; the other columns stay metadata as written."""
    folder = tmp_path / "debates"
    folder.mkdir()
    (folder / "d.csv").write_bytes(
        "\ufeffTranscript_ID,Speaker,Date,Text,Cycle\r\n"
        'deb-2012,Jim Lehrer,2012-10,"Good evening from Denver, and welcome.",2012\r\n'
        "deb-2012,Barack Obama,,Thank you.,\r\n".encode())
    with caplog.at_level(logging.WARNING):
        (debate,) = iter_transcripts([folder])
    assert (debate.id, debate.date_text, dict(debate.meta)) == ("deb-2012", "2012-10", {"Cycle": "2012"})
    assert [(u.speaker, u.text) for u in debate.utterances] == [
        ("Jim Lehrer", "Good evening from Denver, and welcome."), ("Barack Obama", "Thank you.")]
    assert not caplog.messages


def test_a_lower_case_field_wins_over_its_capitalised_twin(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", jsonl([{"transcript_id": "a", "date": "2011", "text": "Hi.", "Speaker": "Jones", "speaker": "Smith"}]))
    (transcript,) = read_file(path).transcripts
    assert (transcript.utterances[0].speaker, dict(transcript.meta)) == ("Smith", {"Speaker": "Jones"})


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.jsonl", "", "empty.jsonl:1: no records: the file is empty"),
    ("head.csv", "transcript_id,date,text\n", "head.csv:1: no records: a header row and no rows below it"),
    ("nohead.csv", "x1,2004,Someone,some text\n", "nohead.csv:1: the first row names none of the fields"),
])
def test_a_file_without_records_says_why(tmp_path: Path, name: str, content: str, message: str) -> None:
    assert message in error_of(write(tmp_path / name, content))
