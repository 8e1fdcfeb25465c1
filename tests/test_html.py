"""The HTML reader on small pages shaped like the site's (en.kremlin.ru): header, tags, labels from mark-up."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.errors import TranscriptParseError
from index.html import is_site_page, page_id_of, read_page
from index.models import ADDRESS, NARRATION, SPEECH, Transcript
from index.parse import iter_transcripts, parse_file, parse_html, parse_transcript, source_files
from index.reindex import reindex
from index.reader import open_index
from manage import cli
from site_pages import STATUS, site_page

TOOLTIP = (
    '<span class="read__tooltip tooltip_person hidden masha-ignore"><span class="tooltip__text">'
    '<span class="tooltip_title">Obama Barack</span><span class="tooltip_description_dark">President of the United States'
    "</span></span></span>"
)


SEED_BODY = f"""
<div class="slider masha-ignore"><div class="slide" data-cycle-desc="Caption"><img src="x.jpg" alt="Caption"/></div>
<div class="slider__description">1 of 5</div></div>
<div class="read__cut masha-ignore"><div class="cut"><h3 class="cut__title">See also</h3>
<a class="cut__item">Telephone conversation with US President Barack Obama</a><div class="cut__date">April 20, 2013</div></div></div>
<p>The two sides exchanged views on&nbsp;key issues.</p>
<p>* * *</p>
<p><b>President of&nbsp;Russia Vladimir Putin:</b> Mr&nbsp;Secretary of&nbsp;State, colleagues,</p>
<p>We are very happy to&nbsp;welcome you to&nbsp;Moscow.</p>
<p>Just recently, <a class="person_tag read__tag">Mr Obama{TOOLTIP}</a>
and I&nbsp;had two telephone conversations.</p>
<p><b>US Secretary of&nbsp;State John Kerry</b>: Thank you, Mr&nbsp;President. I&nbsp;work with your foreign minister
[<a class="person_tag">Sergei Lavrov{TOOLTIP}</a>] on&nbsp;any number of&nbsp;issues.</p>
<p><b>Vladimir Putin</b>: Thank you.</p>
<p>&lt;…&gt;</p>"""

SEED_TEXT = """Events
Meeting with US Secretary of State John Kerry
Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin.
May 7, 2013
18:30
The Kremlin, Moscow
1 of 5
Caption
See also
Telephone conversation with US President Barack Obama
April 20, 2013
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
Geography
United States
Topics
Foreign policy
1 more
Persons
Kerry John
Publication status
Published in sections: News, Transcripts
Publication date: May 7, 2013, 18:30
Text version"""


def turns(transcript: Transcript) -> list[tuple[str, str, str, str]]:
    """(kind, speaker, role, text) of every utterance."""
    return [(u.kind, u.speaker, u.role, u.text) for u in transcript.utterances]


def speech(body: str, **kwargs: str) -> list[tuple[str, str, str]]:
    """(speaker, role, text) of the speech turns of a page around `body`."""
    transcript = parse_html(site_page(body, **kwargs), source="17890.html")
    return [(u.speaker, u.role, u.text) for u in transcript.utterances if u.kind == SPEECH]


def test_page_whole_structure() -> None:
    """Header, tags, source URL and utterances of a page shaped like the seed document."""
    transcript = parse_html(site_page(SEED_BODY), source="saved/page.html")
    assert (transcript.id, transcript.section, transcript.title) == (
        "kremlin-17890",
        "Events",
        "Meeting with US Secretary of State John Kerry",
    )
    assert (transcript.date, transcript.time, transcript.place) == (dt.date(2013, 5, 7), "18:30", "The Kremlin, Moscow")
    assert transcript.summary == "Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin."
    assert (transcript.topics, transcript.geography, transcript.persons) == (
        ("Foreign policy", "Security"),
        ("United States",),
        ("Kerry John",),
    )
    assert transcript.source == "http://en.kremlin.ru/events/president/news/17890"
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
    assert [u.id for u in transcript.utterances][:2] == ["kremlin-17890:0", "kremlin-17890:1"]


def test_html_and_text_forms_of_a_page_give_the_same_transcript() -> None:
    """The page and its plain-text rendering index to one id with the same utterances."""
    from_html = parse_html(site_page(SEED_BODY), source="17890.html")
    from_text = parse_transcript(SEED_TEXT, source="kremlin-17890.txt")
    assert from_html.id == from_text.id == "kremlin-17890"
    assert turns(from_html) == turns(from_text)
    assert (from_html.title, from_html.date, from_html.place, from_html.persons) == (
        from_text.title,
        from_text.date,
        from_text.place,
        from_text.persons,
    )


@pytest.mark.parametrize(
    "paragraph",
    [
        "<p><b>Vladimir Putin:</b> Good afternoon.</p>",
        "<p><b>Vladimir Putin</b>: Good afternoon.</p>",
        "<p><strong>Vladimir Putin: </strong>Good afternoon.</p>",
        "<p><b>Vladimir</b><b> Putin</b><b>:</b> Good afternoon.</p>",
        "<p><b>Vladimir&nbsp;Putin</b>\n:\nGood\nafternoon.</p>",
        "<p><b>Vladimir Putin:</b><br/>Good afternoon.</p>",
    ],
)
def test_bold_label_forms(paragraph: str) -> None:
    """However the page splits the bold run and the colon, the paragraph opens a turn."""
    assert speech(paragraph) == [("Vladimir Putin", "", "Good afternoon.")]


def test_label_with_notes_in_italics() -> None:
    """`<b>Name</b> (<i>retranslated</i>):` and a note opened inside the bold run are labels without the note."""
    body = (
        "<p><b>President of&nbsp;Uganda Yoweri Museveni </b>(<i>retranslated</i>):<b> </b>Thank you, Mr&nbsp;President.</p>"
        "<p><b>Vladimir Putin (</b><i>responding to&nbsp;remarks</i>): First of&nbsp;all.</p>"
        "<p><b>Yoweri Museveni</b> <i>(answering Vladimir Putin):</i> Yes.</p>"
    )
    assert speech(body) == [
        ("Yoweri Museveni", "President of Uganda", "Thank you, Mr President."),
        ("Vladimir Putin", "", "First of all."),
        ("Yoweri Museveni", "President of Uganda", "Yes."),
    ]


def test_label_alone_in_its_paragraph_takes_the_next_ones() -> None:
    """`<p><b>Vladimir Putin:</b></p>` then the text: one turn."""
    body = "<p><b>Vladimir Putin:</b></p><p>Colleagues,</p><p>Let us begin.</p><p><b>Question:</b> Thank you.</p>"
    assert speech(body) == [("Vladimir Putin", "", "Colleagues,\n\nLet us begin."), (None, "", "Thank you.")]


def test_colons_without_bold_are_not_labels() -> None:
    """Only the mark-up makes a label: plain `Name: text`, bold in mid-paragraph and bold emphasis are text."""
    body = (
        "<p><b>Vladimir Putin:</b> My question is: what next?</p>"
        "<p>Sergei Lavrov: this is not marked up as a label.</p>"
        "<p>The only condition is <b>this:</b> peace.</p>"
        "<p><b>My question is:</b> when?</p>"
    )
    assert speech(body) == [
        (
            "Vladimir Putin",
            "",
            "My question is: what next?\n\nSergei Lavrov: this is not marked up as a label.\n\n"
            "The only condition is this: peace.\n\nMy question is: when?",
        )
    ]


def test_bold_separator_ends_a_turn() -> None:
    """`<p><b>* * *</b></p>` ends the current turn; the narration after it has no speaker."""
    body = "<p><b>Vladimir Putin:</b> Thank you.</p><p><b>* * *</b></p><p>The talks continued.</p>"
    transcript = parse_html(site_page(body, lead=""), source="17890.html")
    assert turns(transcript) == [
        (SPEECH, "Vladimir Putin", "", "Thank you."),
        (NARRATION, "", "", "The talks continued."),
    ]


def test_pull_quote_is_dropped_but_a_quotation_is_kept() -> None:
    """A <blockquote> repeating nearby words is the site's highlighted quote; one that does not is text."""
    body = (
        "<p><b>Vladimir Putin:</b> Our relations with Germany are a major factor of stability in Europe.</p>"
        "<blockquote><p>”Our relations with Germany are a major factor of stability.“</p></blockquote>"
        "<p>We will continue.</p>"
        "<blockquote><p>Dear friends, the letter says, welcome to the city of Kazan.</p></blockquote>"
    )
    assert speech(body) == [
        (
            "Vladimir Putin",
            "",
            "Our relations with Germany are a major factor of stability in Europe.\n\nWe will continue.\n\n"
            "Dear friends, the letter says, welcome to the city of Kazan.",
        )
    ]


def test_photo_and_video_captions_are_narration_sliders_and_boxes_are_not() -> None:
    """Single photo/video captions stay (as narration); slider captions, See also boxes and tooltips go."""
    body = (
        '<div class="media masha-ignore"><figure class="media__pic"><img alt="With Yoweri Museveni."/>'
        '<meta itemprop="name" content="With Yoweri Museveni."/></figure>'
        '<span class="media__title player__title">With President of&nbsp;Uganda Yoweri Museveni.</span></div>'
        '<div class="slider masha-ignore"><div class="slider__description">2 of 8</div></div>'
        '<p>The talks were held in&nbsp;Moscow.</p>'
        '<div class="media__container media__container_video masha-ignore"><video><source src="v.mp4"/></video>'
        '<div class="video__description masha-ignore">Press statements following the talks</div></div>'
    )
    transcript = parse_html(site_page(body, lead=""), source="17890.html")
    assert transcript.utterances[0].text == (
        "With President of Uganda Yoweri Museveni.\n\nThe talks were held in Moscow.\n\nPress statements following the talks"
    )
    assert len(transcript.utterances) == 1


def test_invisible_characters_and_superscripts() -> None:
    """Zero-width spaces and soft hyphens vanish; `50<sup>th</sup>` stays one word."""
    body = "<p><b>Vladimir Putin:</b> The\u200b\u200b 50<sup>th</sup> anni\u00adversary.</p>"
    assert speech(body) == [("Vladimir Putin", "", "The 50th anniversary.")]


def test_roles_are_resolved_like_the_text_parser() -> None:
    """Role + name on first use and the name alone later are one speaker with one role; upper case is undone."""
    body = (
        "<p><b>Labour and&nbsp;Social Protection</b> <b>MINISTER MAXIM TOPILIN:</b> Mr President, colleagues,</p>"
        "<p><b>Vladimir Putin:</b> Go on.</p><p><b>Maxim Topilin:</b> Thank you.</p>"
    )
    assert [(s, r) for s, r, _ in speech(body)] == [
        ("Maxim Topilin", "Minister of Labour and Social Protection"),
        ("Vladimir Putin", ""),
        ("Maxim Topilin", "Minister of Labour and Social Protection"),
    ]


def test_address_without_labels_is_attributed_from_the_title() -> None:
    """A transcript page with no labels is the address of the person its title names."""
    transcript = parse_html(
        site_page("<p>Citizens of Russia, friends,</p><p>Today we mark a great holiday.</p>",
                  title="Vladimir Putin’s address to the nation", lead=""),
        source="17890.html",
    )
    assert turns(transcript) == [
        (ADDRESS, "Vladimir Putin", "", "Citizens of Russia, friends,\n\nToday we mark a great holiday.")
    ]


def test_news_item_without_labels_is_narration() -> None:
    """A news item (not in Transcripts) about someone is narration, not their words."""
    status = STATUS.replace(',\n<a href="http://en.kremlin.ru/events/president/transcripts">Transcripts</a>', "")
    assert "Transcripts" not in status
    transcript = parse_html(
        site_page("<p>Mr Putin and Mr Sergeyev discussed routine issues.</p>",
                  title="Vladimir Putin’s statement on the economy", lead="", status=status),
        source="17890.html",
    )
    assert [(u.kind, u.speaker) for u in transcript.utterances] == [(NARRATION, "")]


def test_announcement_date_and_missing_optional_fields() -> None:
    """An announcement's date range gives its first day; no time, place, lead or tags is fine."""
    page = site_page("<p>The talks will be held in Berlin.</p>", meta="", lead="", tags="").replace(
        '<div class="entry-content', '<div class="announce_date"><div>Announcement, April 7 − 8, 2013</div></div><div class="entry-content'
    )
    transcript = parse_html(page, source="17550.html")
    assert (transcript.date, transcript.time, transcript.place, transcript.summary) == (dt.date(2013, 4, 7), None, None, "")
    assert (transcript.topics, transcript.geography, transcript.persons) == ((), (), ())


def test_publication_date_when_the_page_has_no_date_line() -> None:
    """Without a date line the publication date in the status block is the date."""
    transcript = parse_html(site_page("<p>Text.</p>", meta=""), source="17890.html")
    assert transcript.date == dt.date(2013, 5, 7)


def test_page_id_from_canonical_link_or_file_name() -> None:
    """Without og:url the id comes from the canonical link, then from `<id>.html`; else the file stem."""
    page = site_page("<p>Text.</p>", page_id=None)
    with_canonical = page.replace("<head>", '<head><link rel="canonical" href="51234.html"/>')
    assert parse_html(with_canonical, source="x/saved.html").id == "kremlin-51234"
    assert parse_html(page, source="mirror/events/president/news/60795.html").id == "kremlin-60795"
    assert parse_html(page, source="x/Meeting • President of Russia.html").id == "Meeting • President of Russia"
    assert parse_html(page, source="x/60795.html").source == "x/60795.html"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://en.kremlin.ru/events/president/news/17890", "17890"),
        ("http://en.kremlin.ru/events/president/transcripts/17890/", "17890"),
        ("17890.html", "17890"),
        ("http://en.kremlin.ru/events/president/news", None),
        ("page.html", None),
    ],
)
def test_page_id_of(url: str, expected: str | None) -> None:
    assert page_id_of(url) == expected


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("<html><body><h1>News</h1><p>A listing page.</p></body></html>", "no article text"),
        (site_page("<p>Text.</p>", title=""), "no title"),
        (site_page("<p>Text.</p>", meta="", status=""), "no date"),
        ("  \n", "empty file"),
    ],
)
def test_bad_pages_are_reported_with_file_and_reason(page: str, reason: str) -> None:
    with pytest.raises(TranscriptParseError) as caught:
        parse_html(page, source="mirror/17890.html")
    assert str(caught.value).startswith("mirror/17890.html:1: ")
    assert reason in str(caught.value)


def test_is_site_page() -> None:
    assert is_site_page(site_page("<p>Text.</p>").encode())
    assert not is_site_page(b"<html><body><p>Listing</p></body></html>")


def test_read_page_keeps_labels_from_markup() -> None:
    """read_page gives the body blocks: labelled paragraphs carry the label and the text after the colon."""
    page = read_page(site_page("<p><b>Vladimir Putin</b> (<i>retranslated</i>): Hello.</p><p>More.</p>"), source="p.html")
    labelled = [(b.label.core, b.label.notes, b.rest) for b in page.body if b.label is not None]
    assert labelled == [("Vladimir Putin", ("retranslated",), "Hello.")]
    assert [b.opening for b in page.body] == ["Vladimir Putin (retranslated): Hello.", "More."]


# --- files, folders, reindex, CLI ---------------------------------------------------------------


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A wget-style mirror: two pages, their print/photo views, a listing page and a text file."""
    news = tmp_path / "mirror" / "en.kremlin.ru" / "events" / "president" / "news"
    (news / "17890").mkdir(parents=True)
    (news / "17890.html").write_text(site_page(SEED_BODY), encoding="utf-8")
    (news / "17891.html").write_text(
        site_page("<p><b>Sergei Lavrov:</b> Good morning.</p>", page_id="17891", title="Meeting with Sergei Lavrov"),
        encoding="utf-8",
    )
    (news / "17890" / "print.html").write_text(site_page(SEED_BODY), encoding="utf-8")
    (news / "17890" / "photos.html").write_text(site_page(SEED_BODY), encoding="utf-8")
    (news.parent / "news.html").write_text("<html><body><p>Listing</p></body></html>", encoding="utf-8")
    return tmp_path / "mirror"


def test_source_files_reads_a_wget_mirror(mirror: Path) -> None:
    """Article pages in nested folders are found; print/photo views and listing pages are not."""
    names = [p.relative_to(mirror).as_posix() for p in source_files([mirror])]
    assert names == [
        "en.kremlin.ru/events/president/news/17890.html",
        "en.kremlin.ru/events/president/news/17891.html",
    ]


def test_parse_file_dispatches_html(mirror: Path) -> None:
    (transcript,) = parse_file(mirror / "en.kremlin.ru/events/president/news/17890.html")
    assert transcript.id == "kremlin-17890" and len(transcript.utterances) == 5


def test_iter_transcripts_reports_a_broken_page(tmp_path: Path) -> None:
    """A page without a date is reported as path:line: reason and the others are read."""
    (tmp_path / "1.html").write_text(site_page("<p>Text.</p>", page_id="1"), encoding="utf-8")
    (tmp_path / "2.html").write_text(site_page("<p>Text.</p>", page_id="2", meta="", status=""), encoding="utf-8")
    errors: list[TranscriptParseError] = []
    assert [t.id for t in iter_transcripts([tmp_path], on_error=errors.append)] == ["kremlin-1"]
    assert [str(e) for e in errors] == [f"{tmp_path / '2.html'}:1: no date on the page (.read__published or a publication date)"]


def test_parse_command_reads_html(mirror: Path) -> None:
    """`manage.py parse --json` on a mirror prints one transcript per page."""
    result = CliRunner().invoke(cli, ["parse", "--json", str(mirror)])
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in result.output.splitlines()]
    assert ids == ["kremlin-17890", "kremlin-17891"]


def test_reindex_html_and_text_forms_index_one_transcript(tmp_path: Path) -> None:
    """Given a page and its text rendering, the index holds the transcript once; the second form is reported."""
    folder = tmp_path / "both"
    folder.mkdir()
    (folder / "17890.html").write_text(site_page(SEED_BODY), encoding="utf-8")
    (folder / "kremlin-17890.txt").write_text(SEED_TEXT, encoding="utf-8")
    summary = reindex(tmp_path / "index", [folder])
    assert (summary.transcripts, summary.utterances) == (1, 5)
    assert len(summary.skipped) == 1 and "kremlin-17890" in summary.skipped[0]
    with open_index(tmp_path / "index").searcher() as searcher:
        assert sorted(doc["id"] for doc in searcher.documents()) == [f"kremlin-17890:{n}" for n in range(5)]


# --- the text parser's repairs that let both forms of a page agree --------------------------------

TEXT_HEAD = "Events\nMeeting with colleagues\nMay 7, 2013\n18:30\nThe Kremlin, Moscow"


def text_speech(body: str) -> list[tuple[str, str]]:
    """(speaker, text) of the speech turns of a text page around `body`."""
    transcript = parse_transcript(f"{TEXT_HEAD}\n{body}", source="kremlin-1.txt")
    return [(u.speaker, u.text) for u in transcript.utterances if u.kind == SPEECH]


def test_text_invisible_characters_are_dropped() -> None:
    assert text_speech("Vladimir Putin: The\u200b\u200b anni\u00adversary ­\u00ad– today.") == [
        ("Vladimir Putin", "The anniversary – today.")
    ]


def test_text_line_break_before_an_opening_quote_keeps_the_space() -> None:
    """`a massive` / `”black hole“` (the site's quotes the wrong way round) is two words, `end` / `”.` is not."""
    assert text_speech("Vladimir Putin: There is a massive\n”black hole“ here, the so-called\n”.") == [
        ("Vladimir Putin", "There is a massive ”black hole“ here, the so-called”.")
    ]


def test_text_stage_direction_is_not_the_start_of_a_label() -> None:
    """`(Applause)` above `Dmitry Peskov:` stays in the previous turn; the label is Peskov's alone."""
    assert text_speech("Mikhail Zub: A gift for you.\n(Applause)\nDmitry Peskov:\nThat’s bad.") == [
        ("Mikhail Zub", "A gift for you.\n\n(Applause)"),
        ("Dmitry Peskov", "That’s bad."),
    ]


def test_text_pull_quote_six_lines_from_its_passage_is_dropped() -> None:
    """A ”…“ line repeating a passage a few lines away is the page's highlighted quote, not a paragraph."""
    filler = "\n".join(f"Point number {n} is another matter entirely." for n in range(4))
    body = (
        "Vladimir Putin: We must complete the work to establish full-fledged forces in all strategic areas.\n"
        f"{filler}\n"
        "”We must complete the work to establish full-fledged forces in all strategic areas.“"
    )
    (turn,) = text_speech(body)
    assert "”We must" not in turn[1] and turn[1].endswith("Point number 3 is another matter entirely.")


def test_indexed_page_keeps_its_address_as_the_transcript_source(mirror: Path, tmp_path: Path) -> None:
    """The indexer tracks files by path, but the transcript still names the page it came from."""
    from search.engine import Engine

    reindex(tmp_path / "index", [mirror])
    page = mirror / "en.kremlin.ru/events/president/news/17890.html"
    (parsed,) = parse_file(page)
    assert parsed.source.startswith("http")
    with Engine(tmp_path / "index") as engine:
        assert engine.get_transcript("kremlin-17890").source == parsed.source


def nested_page(depth: int) -> str:
    """A site page whose article text sits inside `depth` nested <div>s (about 55 KB at 1,000)."""
    inner = "<p><b>Vladimir Putin:</b> Deep inside the page.</p>"
    return site_page("<div class='x'>" * depth + inner + "</div>" * depth, page_id="17891")


def test_a_thousand_nested_divs_are_read_without_recursion() -> None:
    """Issue 15 #1: the paragraph walk is iterative; a page nested far beyond Python's recursion limit reads."""
    transcript = parse_html(nested_page(5_000), source="nested.html")
    assert [(u.speaker, u.text) for u in transcript.utterances if u.kind == SPEECH] == [
        ("Vladimir Putin", "Deep inside the page.")
    ]


def test_nested_blocks_still_end_paragraphs_in_document_order() -> None:
    """The stack walk keeps the recursive walk's output: blocks end paragraphs, inline bold carries into children."""
    from selectolax.lexbor import LexborHTMLParser

    from index.html import paragraphs

    tree = LexborHTMLParser("<div><p>One <i>two</i></p>three<div><b>Bold <i>in</i>:</b> tail</div>four<br/>five</div>")
    found = paragraphs(tree.body)
    assert [p.text for p in found] == ["One two", "three", "Bold in: tail", "four five"]
    assert found[2].bold == (True,) * len("Bold in:") + (False,) * len(" tail")


def test_an_unexpected_error_in_one_page_is_reported_and_the_others_are_indexed(mirror: Path, tmp_path: Path) -> None:
    """Issue 15 #1: not only TranscriptParseError — any error in one file is `path:0: reason`, that file skipped."""
    bad = mirror / "bad.html"
    bad.write_text(nested_page(10).replace("17891", "17892"), encoding="utf-8")

    def parse_with_a_bug(path: Path) -> list[Transcript]:  # the reindex's parse stage, failing on one file
        if path.name == "bad.html":
            raise RecursionError("maximum recursion depth exceeded")
        return parse_file(path)

    summary = reindex(tmp_path / "index", [mirror], parse=parse_with_a_bug)
    assert summary.skipped == (f"{bad}:0: cannot parse (RecursionError: maximum recursion depth exceeded)",)
    assert summary.transcripts == 2


def test_a_deeply_nested_page_beside_others_parses_from_the_command_line(mirror: Path, tmp_path: Path) -> None:
    """The page that used to stop `parse` and `reindex` with a RecursionError traceback is read like any other."""
    (mirror / "17892.html").write_text(nested_page(3_000).replace("17891", "17892"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["parse", str(mirror)])
    assert result.exit_code == 0, result.output
    assert "3 transcripts parsed, 0 failed." in result.stdout
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "reindex", str(mirror)])
    assert result.exit_code == 0 and "3 transcripts" in result.stdout
