"""The transcript parser on small hand-written pages: one test per quirk of the site layout."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.errors import TranscriptParseError
from index.models import ADDRESS, NARRATION, SPEECH, Transcript
from index.parse import iter_transcripts, parse_file, parse_jsonl, parse_transcript, source_files

TAIL = "Publication status\nPublished in sections: News, Transcripts\nPublication date: May 7, 2013, 18:30\nText version"


def page(body: str, *, head: str = "", tags: str = "", tail: str = TAIL) -> str:
    """A page in the site layout around `body` (no trailing newline, like the corpus)."""
    head = head or "Events\nMeeting with colleagues\nMay 7, 2013\n18:30\nThe Kremlin, Moscow"
    return "\n".join(part for part in (head, body, tags, tail) if part)


def turns(transcript: Transcript) -> list[tuple[str, str, str, str]]:
    """(kind, speaker, role, text) of every utterance."""
    return [(u.kind, u.speaker, u.role, u.text) for u in transcript.utterances]


def speech(text: str, **kwargs: str) -> list[tuple[str, str, str]]:
    """(speaker, role, text) of the speech utterances of a parsed page; an anonymous turn's speaker
    is shown as its label in brackets (`[Question]`)."""
    transcript = parse_transcript(page(text, **kwargs), source="t.txt")
    return [
        (u.speaker if u.speaker is not None else f"[{u.label}]", u.role, u.text)
        for u in transcript.utterances
        if u.kind == SPEECH
    ]


SEED_LIKE = """Events
Meeting with US Secretary of State John Kerry
Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin.
May 7, 2013
18:30
The Kremlin, Moscow
1 of 5
Meeting with US Secretary of State John Kerry.
The two sides exchanged views on key issues.
* * *
President of Russia Vladimir Putin: Mr Secretary of State, colleagues,
We are very happy to welcome you to Moscow.
Just recently, Mr Obama
and I had two telephone conversations.
US Secretary of State John Kerry: Thank you, Mr President. I work with your foreign minister [Sergei Lavrov
] on any number of issues.
Vladimir Putin: Thank you.
<…>
See also
Telephone conversation with US President Barack Obama
April 20, 2013
Additional
Meeting with National Security Adviser Thomas Donilon
April 15, 2013
Geography
United States
Topics
Foreign policy
Publication status
Published in sections: News, Transcripts
Publication date: May 7, 2013, 18:30
Text version"""


def test_seed_like_page_whole_structure() -> None:
    """Header fields, summary, tags and utterances of a page shaped like the seed document."""
    transcript = parse_transcript(SEED_LIKE, source="corpus/kremlin-17890.txt")
    assert (transcript.id, transcript.section, transcript.title) == (
        "kremlin-17890",
        "Events",
        "Meeting with US Secretary of State John Kerry",
    )
    assert (transcript.date, transcript.time, transcript.place) == (dt.date(2013, 5, 7), "18:30", "The Kremlin, Moscow")
    assert transcript.summary == "Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin."
    assert (transcript.topics, transcript.geography, transcript.persons) == (("Foreign policy",), ("United States",), ())
    assert transcript.source == "corpus/kremlin-17890.txt"
    assert turns(transcript) == [
        (NARRATION, "", "", "Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin."),
        (NARRATION, "", "", "The two sides exchanged views on key issues."),
        (
            SPEECH,
            "Vladimir Putin",
            "President of Russia",
            "Mr Secretary of State, colleagues,\n\nWe are very happy to welcome you to Moscow.\n\n"
            "Just recently, Mr Obama and I had two telephone conversations.",
        ),
        (
            SPEECH,
            "John Kerry",
            "US Secretary of State",
            "Thank you, Mr President. I work with your foreign minister [Sergei Lavrov] on any number of issues.",
        ),
        (SPEECH, "Vladimir Putin", "President of Russia", "Thank you.\n\n…"),
    ]
    assert [u.id for u in transcript.utterances] == [f"kremlin-17890:{n}" for n in range(5)]
    assert [u.seq for u in transcript.utterances] == list(range(5))


def test_transcript_id_can_be_given() -> None:
    """The id defaults to the file stem; callers may name it."""
    transcript = parse_transcript(SEED_LIKE, source="x/seed.txt", transcript_id="seed-1")
    assert transcript.id == "seed-1"
    assert {u.transcript_id for u in transcript.utterances} == {"seed-1"}
    assert transcript.utterances[2].id == "seed-1:2"


def test_line_break_inside_a_sentence_is_joined() -> None:
    """`Mr Obama\\nand I` and a line starting with `]` continue the paragraph."""
    assert speech("Vladimir Putin: Just recently, Mr Obama\nand I had talks with [Sergei Lavrov\n] and others.") == [
        ("Vladimir Putin", "", "Just recently, Mr Obama and I had talks with [Sergei Lavrov] and others.")
    ]


def test_line_break_before_a_capitalised_word_is_joined() -> None:
    """A line that ends without punctuation runs on, even when the next one opens with a name."""
    assert speech("Vladimir Putin: I spoke with\nPrime Minister Dmitry Medvedev yesterday.\nNext paragraph.") == [
        ("Vladimir Putin", "", "I spoke with Prime Minister Dmitry Medvedev yesterday.\n\nNext paragraph.")
    ]


def test_label_split_over_lines() -> None:
    """`President of Russia\\nVladimir Putin:\\nYour Majesty` is one labelled turn."""
    assert speech(
        "President of Russia\nVladimir Putin:\nYour Majesty, welcome.\nHamad Bin Isa Al\nKhalifa: Mr\nPresident, thank you."
    ) == [
        ("Vladimir Putin", "President of Russia", "Your Majesty, welcome."),
        ("Hamad Bin Isa Al Khalifa", "", "Mr President, thank you."),
    ]


def test_label_split_over_three_lines() -> None:
    """A long role broken twice still makes one label."""
    assert speech(
        "Honourary Member of the Russian Olympic\nCommittee, Head of the Anti-Doping Commission Vitaly\nSmirnov: On May 18."
    ) == [("Vitaly Smirnov", "Honourary Member of the Russian Olympic Committee, Head of the Anti-Doping Commission", "On May 18.")]


def test_label_alone_on_its_line() -> None:
    """A label with nothing after its colon takes the next paragraphs as its text."""
    assert speech("Question:\nThere is a draft resolution.\nVladimir Putin:\nIt is not final.\nYes.") == [
        ("[Question]", "", "There is a draft resolution."),
        ("Vladimir Putin", "", "It is not final.\n\nYes."),
    ]


def test_labels_with_notes() -> None:
    """`(retranslated)` and `(responding to …)` notes are not part of the speaker or role."""
    assert speech(
        "President of Uganda Yoweri Museveni (retranslated): Thank you.\n"
        "Vladimir Putin (responding to remarks by test pilot Magomed Tolboyev): First of all, yes."
    ) == [
        ("Yoweri Museveni", "President of Uganda", "Thank you."),
        ("Vladimir Putin", "", "First of all, yes."),
    ]


def test_upper_case_labels_merge_with_the_well_written_form() -> None:
    """Shouted labels are re-cased; the same person under two labels is one speaker with one role."""
    assert speech(
        "GOVERNOR OF CALIFORNIA ARNOLD SCHWARZENEGGER: Thank you.\n"
        "President OF RUSSIA DMITRY MEDVEDEV: Welcome.\n"
        "Dmitry Medvedev: Indeed."
    ) == [
        ("Arnold Schwarzenegger", "Governor of California", "Thank you."),
        ("Dmitry Medvedev", "President of Russia", "Welcome."),
        ("Dmitry Medvedev", "President of Russia", "Indeed."),
    ]


def test_run_together_name_is_spaced() -> None:
    """`VladimirPutin:` is the same speaker as `President of Russia Vladimir Putin:`."""
    assert speech("President of Russia Vladimir Putin: Good afternoon.\nQuestion: Why?\nVladimirPutin: Because.") == [
        ("Vladimir Putin", "President of Russia", "Good afternoon."),
        ("[Question]", "", "Why?"),
        ("Vladimir Putin", "President of Russia", "Because."),
    ]


def test_run_together_name_spaced_from_the_title() -> None:
    """With no spaced label in the document, the title spells the name."""
    head = "Events\nAnswers to questions by Vladimir Putin\nMay 7, 2013"
    assert speech("Question: Why?\nVladimirPutin: Because.", head=head)[1][0] == "Vladimir Putin"


def test_role_carries_to_later_turns() -> None:
    """`President of Russia Vladimir Putin:` first, `Vladimir Putin:` later: one speaker, one role."""
    result = speech("President of Russia Vladimir Putin: Hello.\nUS Secretary of State John Kerry: Hi.\nVladimir Putin: Bye.")
    assert [(s, r) for s, r, _ in result] == [
        ("Vladimir Putin", "President of Russia"),
        ("John Kerry", "US Secretary of State"),
        ("Vladimir Putin", "President of Russia"),
    ]


def test_every_label_starts_an_utterance() -> None:
    """Two turns of the same speaker in a row stay two utterances."""
    assert speech("Alexander Bastrykin: Yes.\nAlexander Bastrykin: And another thing.") == [
        ("Alexander Bastrykin", "", "Yes."),
        ("Alexander Bastrykin", "", "And another thing."),
    ]


def test_generic_labels() -> None:
    """`Question:`, `Remark:`, `Reply:` are anonymous turns (no speaker) that keep their label as written."""
    assert speech("Question: Is it true?\nRemark: It is.\nReply: Yes.\nQuestion from Izhevsk: Hello.\nQuestion (retranslated): Why?") == [
        ("[Question]", "", "Is it true?"),
        ("[Remark]", "", "It is."),
        ("[Reply]", "", "Yes."),
        ("[Question from Izhevsk]", "", "Hello."),
        ("[Question (retranslated)]", "", "Why?"),
    ]


def test_colons_that_are_not_labels() -> None:
    """A colon in ordinary text does not open a turn."""
    text = (
        "Question: My question is: when will it end?\n"
        "Here is my question: why?\n"
        "The only condition is this: we must agree.\n"
        "Second: I did not throw anybody out.\n"
        "We met at 17:15 as planned."
    )
    assert speech(text) == [
        (
            "[Question]",
            "",
            "My question is: when will it end?\n\nHere is my question: why?\n\nThe only condition is this: we must agree."
            "\n\nSecond: I did not throw anybody out.\n\nWe met at 17:15 as planned.",
        )
    ]


def test_sentence_broken_before_a_colon_is_not_a_label() -> None:
    """`…of the Russian\\nFederation: the loan…` and `…about the\\nPresident Trump: I…` run on."""
    assert speech("Vladimir Putin: We were given a loan by the Russian\nFederation: the loan is large. About\nPresident Trump: I did not vote.") == [
        ("Vladimir Putin", "", "We were given a loan by the Russian Federation: the loan is large. About President Trump: I did not vote.")
    ]


def test_heading_before_a_label_is_narration() -> None:
    """A section heading does not become part of the next speaker's role, even when broken over lines."""
    text = "* * *\nRemarks at the meeting of the Cooperation\nCouncil\nPresident of Russia Vladimir Putin: Colleagues."
    transcript = parse_transcript(page(text), source="t.txt")
    assert turns(transcript) == [
        (NARRATION, "", "", "Remarks at the meeting of the Cooperation Council"),
        (SPEECH, "Vladimir Putin", "President of Russia", "Colleagues."),
    ]


def test_name_and_role_forms() -> None:
    """`Name, role`, `Role of Place Name`, `King Name of Place` and a one-word name after a title."""
    assert speech(
        "Alexei Kudrin, Chairman of the Accounts Chamber: Yes.\n"
        "President of Belarus Alexander Lukashenko: No.\n"
        "King Abdullah II of Jordan (retranslated): Maybe.\n"
        "Crown Prince of Abu Dhabi Mohammed Al Nahyan: Indeed.\n"
        "Patriarch Kirill: Amen."
    ) == [
        ("Alexei Kudrin", "Chairman of the Accounts Chamber", "Yes."),
        ("Alexander Lukashenko", "President of Belarus", "No."),
        ("Abdullah II", "King of Jordan", "Maybe."),
        ("Mohammed Al Nahyan", "Crown Prince of Abu Dhabi", "Indeed."),
        ("Patriarch Kirill", "", "Amen."),
    ]


def test_persons_block_gives_three_word_names() -> None:
    """`Erdogan Recep Tayyip` in Persons tells where the role ends in the label."""
    tags = "Persons\nErdogan Recep Tayyip"
    assert speech("President of Turkey Recep Tayyip Erdogan (retranslated): Thank you.", tags=tags) == [
        ("Recep Tayyip Erdogan", "President of Turkey", "Thank you.")
    ]


def test_place_read_out_before_a_quoted_question_is_not_a_speaker() -> None:
    """`Perm Territory: “…”` inside a host's turn is a question read out, not a turn."""
    assert speech("Maria Sittel: Questions keep coming.\nPerm Territory: “Why are towns dying?”") == [
        ("Maria Sittel", "", "Questions keep coming.\n\nPerm Territory: “Why are towns dying?”")
    ]


def test_statements_read_out_under_their_source_stay_with_the_reader() -> None:
    """`Germany: “…”` inside a speech quotes a source; a speaker who sometimes opens with a quote is still a speaker."""
    body = (
        "Vladimir Putin: Here is what they wrote.\n"
        "Germany: “This is a matter of self-determination.” Good for them.\n"
        "France: “It does not forbid it.”\n"
        "Maria Sittel: “Will cannabis be legalised?”\n"
        "Vladimir Putin: No.\n"
        "Maria Sittel: Next question."
    )
    assert speech(body) == [
        (
            "Vladimir Putin",
            "",
            "Here is what they wrote.\n\nGermany: “This is a matter of self-determination.” Good for them."
            "\n\nFrance: “It does not forbid it.”",
        ),
        ("Maria Sittel", "", "“Will cannabis be legalised?”"),
        ("Vladimir Putin", "", "No."),
        ("Maria Sittel", "", "Next question."),
    ]


def test_photo_counter_and_caption_are_dropped() -> None:
    """`5 of 8` and the caption under it are not text, in the header or in the body."""
    head = "Events\nTalks\nApril 20, 2010\n15:00\nThe Kremlin, Moscow\n5 of 8\nWith President Islam Karimov."
    transcript = parse_transcript(page("Dmitry Medvedev: Hello.\n2 of 8\nAt the talks.\nIslam Karimov: Hi.", head=head), source="t.txt")
    assert turns(transcript) == [
        (SPEECH, "Dmitry Medvedev", "", "Hello."),
        (SPEECH, "Islam Karimov", "", "Hi."),
    ]


def test_separator_ends_narration() -> None:
    """`* * *` separates the summary narration from the transcript and is not text."""
    transcript = parse_transcript(page("The talks went well.\n* * *\nVladimir Putin: Hello."), source="t.txt")
    assert turns(transcript) == [(NARRATION, "", "", "The talks went well."), (SPEECH, "Vladimir Putin", "", "Hello.")]


def test_elision_marks() -> None:
    """`<…>` and `‹…>` become `…`, inline or on their own line."""
    assert speech("Vladimir Putin: We agreed <…> on this ‹…> point.\n<…>\nWe continue.") == [
        ("Vladimir Putin", "", "We agreed … on this … point.\n\n…\n\nWe continue.")
    ]


def test_see_also_box_before_and_inside_the_body() -> None:
    """Related-item boxes (titles with dates, or one undated link) are not text."""
    head = "Events\nTalks\nApril 20, 2010\n15:00\nThe Kremlin, Moscow\nSee also\nPress Statements following talks\nApril 20, 2010"
    body = (
        "The presidents discussed trade.\n"
        "* * *\n"
        "Dmitry Medvedev: Welcome.\nSee also\nNews of Security Council\nWe continue.\n"
        "See also\nAddress on the G20\nDecember 1, 2012\nAnd we end."
    )
    transcript = parse_transcript(page(body, head=head), source="t.txt")
    assert turns(transcript) == [
        (NARRATION, "", "", "The presidents discussed trade."),
        (SPEECH, "Dmitry Medvedev", "", "Welcome.\n\nWe continue.\n\nAnd we end."),
    ]


def test_trailing_blocks_with_more_lines() -> None:
    """Geography/Topics/Persons lists end the body; `5 more` lines are dropped; boxes before them too."""
    tags = (
        "See also\nNews of the Council\n"
        "Geography\nUzbekistan\nTopics\nForeign policy\nRegions\n2 more\nPersons\nKarimov Islam\nRahmon Emomali\n1 more"
    )
    transcript = parse_transcript(page("Vladimir Putin: Hello.", tags=tags), source="t.txt")
    assert transcript.geography == ("Uzbekistan",)
    assert transcript.topics == ("Foreign policy", "Regions")
    assert transcript.persons == ("Karimov Islam", "Rahmon Emomali")
    assert turns(transcript) == [(SPEECH, "Vladimir Putin", "", "Hello.")]


def test_announcement_date_range() -> None:
    """`Announcement, April 7 − 8, 2013` dates the page on its first day; no time, no place."""
    head = "Events\nVladimir Putin will visit Germany\nOn April 7–8, the President will visit Germany.\nAnnouncement, April 7 − 8, 2013"
    transcript = parse_transcript(page("Talks will be held during the visit.", head=head), source="t.txt")
    assert (transcript.date, transcript.time, transcript.place) == (dt.date(2013, 4, 7), None, None)
    assert transcript.summary == "On April 7–8, the President will visit Germany."
    assert turns(transcript) == [
        (NARRATION, "", "", "On April 7–8, the President will visit Germany."),
        (NARRATION, "", "", "Talks will be held during the visit."),
    ]


def test_title_only_news_item_has_no_utterances() -> None:
    """A page with a title and a date but no text is returned, with no utterances."""
    text = "Events\nExecutive order on the Security Council\nOctober 5, 2010\nPublication status\nPublished in section: News"
    transcript = parse_transcript(text, source="news.txt")
    assert (transcript.title, transcript.date, transcript.place, transcript.utterances) == (
        "Executive order on the Security Council",
        dt.date(2010, 10, 5),
        None,
        (),
    )


def test_lead_broken_over_lines_and_first_body_line_not_a_place() -> None:
    """The lead's broken lines are joined; a short first body line (`75 years have`) is not the place."""
    head = "Events\nMeeting with Governor\nVladimir Putin met\nwith the Governor.\nJune 19, 2020\n00:00"
    transcript = parse_transcript(page("75 years have\npassed since the war.", head=head), source="t.txt")
    assert transcript.summary == "Vladimir Putin met with the Governor."
    assert transcript.place is None
    assert turns(transcript)[-1] == (NARRATION, "", "", "75 years have passed since the war.")


def test_unlabelled_transcript_is_an_address_by_the_person_the_lead_names() -> None:
    """A transcript page without labels is one `address` utterance by the person the title or lead names."""
    head = "Events\nIndia and Russia: new prospects\nThe Hindu published an article by Vladimir Putin.\nDecember 23, 2012"
    transcript = parse_transcript(page("I am glad to address the readers.\nThis year marked an anniversary.", head=head), source="t.txt")
    assert turns(transcript) == [
        (NARRATION, "", "", "The Hindu published an article by Vladimir Putin."),
        (ADDRESS, "Vladimir Putin", "", "I am glad to address the readers.\n\nThis year marked an anniversary."),
    ]
    titled = parse_transcript(page("Citizens of Russia, friends.", head="Events\nVladimir Putin’s address to the nation\nMay 7, 2013"), source="t.txt")
    assert turns(titled) == [(ADDRESS, "Vladimir Putin", "", "Citizens of Russia, friends.")]


def test_unlabelled_page_without_a_named_speaker_or_in_the_news_is_narration() -> None:
    """A news report about someone is narration; so is a transcript whose title names nobody."""
    news_tail = "Publication status\nPublished in section: News"
    head = "Events\nCondolences\nVladimir Putin sent his condolences to the President.\nDecember 15, 2012"
    news = parse_transcript(page("The Russian leader stressed the tragedy.", head=head, tail=news_tail), source="t.txt")
    assert turns(news)[-1] == (NARRATION, "", "", "The Russian leader stressed the tragedy.")
    plain = parse_transcript(page("The Governor briefed the President."), source="t.txt")
    assert turns(plain) == [(NARRATION, "", "", "The Governor briefed the President.")]


def test_pull_quote_repeating_the_speech_is_dropped() -> None:
    """A highlighted quote in ”…“ marks that repeats a neighbouring paragraph is not text."""
    body = (
        "Dmitry Medvedev: Events in the Gulf have grabbed attention.\n"
        "”We should consider a global fund for insuring against these risks.“\n"
        "We should consider setting up a global fund for insuring or re-insuring against these sorts of risks.\n"
        "”Quite different words, a letter we received from a friend.“"
    )
    assert speech(body) == [
        (
            "Dmitry Medvedev",
            "",
            "Events in the Gulf have grabbed attention.\n\n"
            "We should consider setting up a global fund for insuring or re-insuring against these sorts of risks.\n\n"
            "”Quite different words, a letter we received from a friend.“",
        )
    ]


def test_crlf_and_bom_in_a_string() -> None:
    """Windows line endings and a BOM do not change the result."""
    windows = "\ufeff" + SEED_LIKE.replace("\n", "\r\n")
    assert parse_transcript(windows, source="a/seed.txt") == parse_transcript(SEED_LIKE, source="a/seed.txt")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "empty file"),
        ("\n\n  \n", 1, "empty file"),
        ("Events\nA title\nNo date here\nVladimir Putin: Hello.", 1, "no date line"),
        ("May 7, 2013\nVladimir Putin: Hello.", 1, "no title"),
    ],
)
def test_parse_errors_name_file_and_line(text: str, line: int, reason: str) -> None:
    """A page that cannot be read raises TranscriptParseError with the source, a line and a reason."""
    with pytest.raises(TranscriptParseError) as caught:
        parse_transcript(text, source="bad.txt")
    assert (caught.value.path, caught.value.line) == ("bad.txt", line)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"bad.txt:{line}: ")


# --- JSONL -------------------------------------------------------------------------------------


def jsonl(*records: dict[str, object]) -> str:
    return "\n".join(json.dumps(r) for r in records)


def test_jsonl_groups_lines_by_transcript_in_file_order() -> None:
    """Lines with the same transcript_id form one transcript; order and fields are kept."""
    text = jsonl(
        {"transcript_id": "a", "title": "Talks", "date": "2014-02-03", "speaker": "Vladimir Putin", "role": "President of Russia",
         "text": "Hello <…> there.", "place": "Sochi", "topics": ["Economy"]},
        {"transcript_id": "b", "title": "Other", "date": "May 7, 2013", "speaker": "", "text": "A note."},
        {"transcript_id": "a", "title": "Talks", "date": "2014-02-03", "speaker": "Angela Merkel", "text": "Thanks."},
    ) + "\n\n"
    first, second = parse_jsonl(text, source="c.jsonl")
    assert (first.id, first.title, first.date, first.place, first.topics, first.source) == (
        "a", "Talks", dt.date(2014, 2, 3), "Sochi", ("Economy",), "c.jsonl",
    )
    assert turns(first) == [
        (SPEECH, "Vladimir Putin", "President of Russia", "Hello … there."),
        (SPEECH, "Angela Merkel", "", "Thanks."),
    ]
    assert [u.id for u in first.utterances] == ["a:0", "a:1"]
    assert (second.id, second.date, turns(second)) == ("b", dt.date(2013, 5, 7), [(NARRATION, "", "", "A note.")])


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('{"transcript_id": "a", "title": "T", "date": "2014-02-03", "text": "x"}\n{oops', 2, "invalid JSON"),
        ('\n{"transcript_id": "a", "title": "T", "date": "2014-02-03"}', 2, "text"),
        ('{"transcript_id": "a", "title": "T", "date": "03/02/2014", "text": "x"}', 1, "bad date"),
        ('{"transcript_id": "a", "title": "T", "text": "x"}', 1, "no record gives its date"),
        ('"a string"', 1, "JSON object"),
        ('["a list"]', 1, "JSON array, not JSON Lines"),
        ("", 1, "no records"),
    ],
)
def test_jsonl_errors_name_the_line(text: str, line: int, reason: str) -> None:
    """Malformed JSONL is reported with its line number."""
    with pytest.raises(TranscriptParseError) as caught:
        parse_jsonl(text, source="c.jsonl")
    assert (caught.value.path, caught.value.line) == ("c.jsonl", line)
    assert reason in caught.value.reason


# --- files -------------------------------------------------------------------------------------


def test_parse_file_decodes_bom_and_line_endings(tmp_path: Path) -> None:
    """UTF-8 with a BOM and CR or CRLF endings parses like the plain file."""
    plain = parse_transcript(SEED_LIKE, source="x")
    for name, data in [("crlf.txt", SEED_LIKE.replace("\n", "\r\n")), ("cr.txt", SEED_LIKE.replace("\n", "\r"))]:
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + data.encode("utf-8"))
        (transcript,) = parse_file(path)
        assert transcript.id == path.stem
        assert transcript.source == str(path)
        assert turns(transcript) == turns(plain)


def test_parse_file_reports_bad_bytes_and_missing_files(tmp_path: Path) -> None:
    """Undecodable bytes name their line; an unreadable file is an error too."""
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Events\nTitle\nMay 7, 2013\n\xff\xfe oops")
    with pytest.raises(TranscriptParseError) as caught:
        parse_file(bad)
    assert (caught.value.path, caught.value.line) == (str(bad), 4)
    with pytest.raises(TranscriptParseError, match="cannot read"):
        parse_file(tmp_path / "missing.txt")


def test_parse_file_dispatches_jsonl(tmp_path: Path) -> None:
    """A .jsonl file is read as utterance records."""
    path = tmp_path / "more.jsonl"
    path.write_text(jsonl({"transcript_id": "x", "title": "T", "date": "2020-01-02", "speaker": "A B", "text": "Hi."}), encoding="utf-8")
    assert [t.id for t in parse_file(path)] == ["x"]


def test_source_files_walks_folders(tmp_path: Path) -> None:
    """Folders give their .txt and .jsonl files, sorted, without READMEs, hidden files or ground-truth JSONL."""
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b.txt", "a.txt", "sub/c.txt", "README.md", "README.txt", "notes.md", ".x.txt", ".hidden/d.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "utterances.jsonl").write_text('{"transcript_id": "a", "text": "x"}\n', encoding="utf-8")
    (tmp_path / "turns.jsonl").write_text('{"file": "a.txt", "turn_labels": []}\n', encoding="utf-8")
    single = tmp_path / "sub" / "c.txt"
    assert source_files([tmp_path, single]) == [
        tmp_path / "a.txt",
        tmp_path / "b.txt",
        single,
        tmp_path / "utterances.jsonl",
        single,
    ]


def test_iter_transcripts_reports_failures_and_continues(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A failing file goes to on_error (or the log) and the others are still parsed."""
    (tmp_path / "a.txt").write_text(SEED_LIKE, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Events\nNo date\nText.", encoding="utf-8")
    (tmp_path / "c.txt").write_text(SEED_LIKE, encoding="utf-8")
    errors: list[TranscriptParseError] = []
    assert [t.id for t in iter_transcripts([tmp_path], on_error=errors.append)] == ["a", "c"]
    assert [(Path(e.path).name, e.line) for e in errors] == [("b.txt", 1)]
    with caplog.at_level(logging.WARNING, logger="index.parse"):
        assert len(list(iter_transcripts([tmp_path]))) == 2
    assert "b.txt:1: no date line" in caplog.text


# --- any input -----------------------------------------------------------------------------------
PIECES = st.sampled_from(
    [
        "Events", "Meeting with colleagues", "May 7, 2013", "18:30", "The Kremlin, Moscow", "1 of 5", "* * *",
        "<…>", "See also", "Topics", "Persons", "5 more", "Publication status", "President of Russia",
        "Vladimir Putin:", "Question: Why?", "My question is: why?", "and I agreed.", "Mr Obama", "] on",
        "VLADIMIR PUTIN: Yes.", "(retranslated):", ":", "", "Announcement, April 7 − 8, 2013",
    ]
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=30))
def test_any_text_parses_or_raises_a_parse_error(lines: list[str]) -> None:
    """Whatever the input, the parser returns a transcript or raises TranscriptParseError, nothing else."""
    try:
        transcript = parse_transcript("\n".join(lines), source="any.txt")
    except TranscriptParseError as error:
        assert error.path == "any.txt" and error.line >= 1
        return
    assert [u.seq for u in transcript.utterances] == list(range(len(transcript.utterances)))
    assert all(u.kind in (SPEECH, NARRATION, ADDRESS) for u in transcript.utterances)
    assert all((u.kind == NARRATION) == (u.speaker == "") for u in transcript.utterances)
    assert not any("<…>" in u.text for u in transcript.utterances)


@pytest.mark.parametrize("paragraph", ["Mr.)", "I.)", "As we agreed.)", "Mr Lavrov)"])
def test_a_paragraph_ending_in_a_closing_bracket_is_not_the_first_half_of_the_next_label(paragraph: str) -> None:
    """Found by the property test: `Mr.)` before `President of Russia Vladimir Putin: …` was joined to
    the label and its words lost."""
    text = "\n".join(["Events", "Meeting", "May 7, 2013", "The Kremlin, Moscow", paragraph,
                      "President of Russia Vladimir Putin: The only condition is this: the."])
    transcript = parse_transcript(text, source="t.txt")
    assert [u.text for u in transcript.utterances] == [paragraph, "The only condition is this: the."]
    assert transcript.utterances[1].speaker == "Vladimir Putin"
