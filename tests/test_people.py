"""Speakers as people: anonymous labels, label resolution, spelling variants, roles, the alias file,
and the corpus-wide alias table kept right by incremental reindexing (real Whoosh index on disk)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from index import labels as lb
from index.errors import TranscriptParseError
from index.parse import parse_transcript, resolve_speakers
from index.people import (
    PEOPLE_FILE,
    alias_groups,
    alias_table,
    load_aliases,
    parse_aliases,
    same_person,
    short_forms,
)
from index.reindex import reindex
from index.roles import edit_distance, fix_typo, normalise_role, role_key
from index.generations import current_generation_dir

# --- anonymous turns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "Question",
        "Remark",
        "Reply",
        "Response",
        "Comment",
        "Operator",
        "Audience",
        "Question from Izhevsk",
        "Question from Nizhny Novgorod Region",
        "Voice from the audience",
        "Call centre operator",
        "Journalist",
        "Dmitry, Moscow",
        "Interpreter",
    ],
)
def test_voices_are_anonymous(label: str) -> None:
    assert lb.is_anonymous(label)


@pytest.mark.parametrize(
    "label",
    [
        "Vladimir Putin",
        "Patriarch Kirill",
        "Journalist Mikhail Leontyev",
        "Alina",
        "Valeriya Korableva, reporter at Channel One",
        "Operators’ union leader Ivan Petrov",
        "Cosmonaut Roman Romanenko",
    ],
)
def test_people_are_not_anonymous(label: str) -> None:
    assert not lb.is_anonymous(label)


def test_anonymous_turn_keeps_its_label_and_has_no_speaker() -> None:
    (question, answer) = resolve_speakers(["Question from Perm Territory", "Vladimir Putin"])
    assert question == (None, "")
    assert answer == ("Vladimir Putin", "")


def test_anonymous_description_keeps_its_role() -> None:
    assert resolve_speakers(["Call centre operator"]) == [(None, "Call centre operator")]


# --- label resolution --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Patriarch Kirill of Moscow and All Russia", ("Patriarch Kirill", "Patriarch of Moscow and All Russia")),
        ("Patriarch John of Antioch and All the East", ("Patriarch John", "Patriarch of Antioch and All the East")),
        ("King Abdullah II of Jordan", ("Abdullah II", "King of Jordan")),
        (
            "Construction, Housing and Utilities Minister Mikhail Men",
            ("Mikhail Men", "Minister of Construction, Housing and Utilities"),
        ),
        ("Energy Minister Alexander Novak", ("Alexander Novak", "Minister of Energy")),
        ("Valeriya Korableva, reporter at Channel One", ("Valeriya Korableva", "Reporter at Channel One")),
        ("Alexei Kudrin, Chairman of the Accounts Chamber", ("Alexei Kudrin", "Chairman of the Accounts Chamber")),
        ("Ivan Petrov, Kazan", ("Ivan Petrov", "")),
        ("Ivan Petrov, Channel One Russia", ("Ivan Petrov", "Channel One Russia")),
        ("Ivan Petrov, VGTRK", ("Ivan Petrov", "VGTRK")),
        ("President of the Republic of Turkey Recep Erdogan", ("Recep Erdogan", "President of Turkey")),
        ("Minster of Trade and Industry Denis Manturov", ("Denis Manturov", "Minister of Trade and Industry")),
    ],
)
def test_label_resolution(label: str, expected: tuple[str, str]) -> None:
    assert resolve_speakers([label]) == [expected]


def test_a_one_word_suffix_is_not_taken_for_the_name() -> None:
    """`Putin:` later in the page does not cut `President of Russia Vladimir Putin` to `Putin`."""
    assert resolve_speakers(["President of Russia Vladimir Putin", "Putin"]) == [
        ("Vladimir Putin", "President of Russia"),
        ("Vladimir Putin", "President of Russia"),
    ]


def test_variants_in_one_transcript_are_one_speaker() -> None:
    assert [s for s, _ in resolve_speakers(["Vladimir Putin", "Vladmir Putin", "VladimirPutin"])] == [
        "Vladimir Putin"
    ] * 3


def test_long_label_with_a_job_description_is_a_turn() -> None:
    line = (
        "Valeriya Korableva, reporter at Channel One Russia for the Direct Line with Vladimir Putin: "
        "Good afternoon."
    )
    matched = lb.match_label(line)
    assert matched is not None
    assert resolve_speakers([matched[0].core])[0][0] == "Valeriya Korableva"


def test_parse_keeps_label_as_written() -> None:
    page = (
        "Events\nMeeting\nMay 7, 2013\n"
        "Energy Minister Alexander Novak (retranslated): Good afternoon.\nQuestion: Why?\n"
    )
    transcript = parse_transcript(page, source="t.txt")
    turns = [(u.label, u.speaker, u.role) for u in transcript.utterances if u.kind == "speech"]
    assert turns == [
        ("Energy Minister Alexander Novak (retranslated)", "Alexander Novak", "Minister of Energy"),
        ("Question", None, ""),
    ]
    again = type(transcript).from_dict(json.loads(json.dumps(transcript.to_dict())))
    assert again == transcript


# --- one person, many spellings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Vladimir Putin", "Vladmir Putin"),
        ("Vladimir Putin", "VladimirPutin"),
        ("Vladimir Putin", "V.Putin"),
        ("Vladimir Putin", "V. Putin"),
        ("Valeriya Korableva", "Valeria Korableva"),
        ("Kirill Kleymenov", "Kirill Kleimenov"),
        ("Sergei Chemezov", "Sergey Chemezov"),
        ("Patrick Pouyanne", "Patrick Pouyanné"),
        ("Barack Obama", "Barack H Obama"),
        ("Dmitry Shchugorev", "Dmitry Schugorev"),
    ],
)
def test_spellings_of_one_person(a: str, b: str) -> None:
    assert same_person(a, b) and same_person(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Nikolai Patrushev", "Dmitry Patrushev"),  # father and son
        ("Alexander Kozlov", "Alexandra Kozlova"),
        ("Alexander Lyulkovich", "Alexandra Lyulkovich"),  # a final `a`: another person
        ("Sergei Ivanov", "Sergei Ivanova"),
        ("Svetlana Lyulkovich", "Yekaterina Lyulkovich"),
        ("Yan Berezin", "Yana Berezin"),
        ("Dmitry Morozov", "Sergei Morozov"),
        ("Sergei Demin", "Semyon Dyomin"),
        ("Putin", "Vladimir Putin"),  # one word: never merged across the corpus
        ("John A Smith", "John B Smith"),
        ("Ivan Petrov", "Ivan Petrova"),
    ],
)
def test_different_people_stay_apart(a: str, b: str) -> None:
    assert not same_person(a, b)


def test_alias_table_picks_the_most_used_full_name() -> None:
    turns = {"Vladimir Putin": 100, "Vladmir Putin": 1, "V. Putin": 5, "Sergei Chemezov": 3, "Sergey Chemezov": 9}
    table = alias_table(turns)
    assert alias_groups(table) == {
        "Sergey Chemezov": ["Sergei Chemezov"],
        "Vladimir Putin": ["V. Putin", "Vladmir Putin"],
    }


def test_an_initial_that_fits_two_people_is_left_alone() -> None:
    table = alias_table({"Sergei Ivanov": 5, "Stanislav Ivanov": 4, "S. Ivanov": 1})
    assert table["S. Ivanov"] == "S. Ivanov"
    assert table["Sergei Ivanov"] != table["Stanislav Ivanov"]


def test_a_group_whose_members_disagree_is_not_merged() -> None:
    """`Yury` ~ `Yuri` ~ `Yuli`, but `Yury` and `Yuli` are two letters apart: the chain is refused."""
    table = alias_table({"Yury Popov": 3, "Yuri Popov": 1, "Yuli Popov": 1})
    assert table == {"Yury Popov": "Yury Popov", "Yuri Popov": "Yuri Popov", "Yuli Popov": "Yuli Popov"}
    assert alias_table({"Yury Popov": 3, "Yuri Popov": 1})["Yuri Popov"] == "Yury Popov"


def test_short_forms_within_a_transcript() -> None:
    assert short_forms(["Vladimir Putin", "Putin", "Alina Chaban", "Alina"]) == {
        "Putin": "Vladimir Putin",
        "Alina": "Alina Chaban",
    }
    assert short_forms(["Sergei Ivanov", "Viktor Ivanov", "Ivanov"]) == {}


def test_alias_file_merges_and_separates(tmp_path: Path) -> None:
    (tmp_path / "aliases.toml").write_text(
        '# fixes\n"Vitaly Mutko" = ["Vladimir Mutko"]\n\n[apart]\n"Sergei Ignatiev" = ["Sergei Ignatyev"]\n',
        encoding="utf-8",
    )
    aliases = load_aliases([tmp_path / "missing", tmp_path])
    table = alias_table({"Vitaly Mutko": 2, "Vladimir Mutko": 1, "Sergei Ignatiev": 2, "Sergei Ignatyev": 9}, aliases)
    assert table["Vladimir Mutko"] == "Vitaly Mutko"
    assert table["Sergei Ignatiev"] == "Sergei Ignatiev"


def test_bad_alias_file_names_file_and_line() -> None:
    with pytest.raises(TranscriptParseError) as error:
        parse_aliases('"A B" = ["C D"]\n"E F" = [\n', "aliases.toml")
    assert str(error.value).startswith("aliases.toml:")
    with pytest.raises(TranscriptParseError, match="must map to a list of names"):
        parse_aliases('"A B" = 3\n', "aliases.toml")


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Energy Minister", "Minister of Energy"),
        ("Minister of Energy", "Minister of Energy"),
        ("Deputy Finance Minister", "Deputy Minister of Finance"),
        ("Natural Resources and Environment Minister", "Minister of Natural Resources and Environment"),
        ("Foreign Minister", "Minister of Foreign Affairs"),
        ("Prime Minister", "Prime Minister"),
        ("Deputy Prime Minister", "Deputy Prime Minister"),
        ("German Minister of Foreign Affairs", "German Minister of Foreign Affairs"),
        ("President of the Republic of Turkey", "President of Turkey"),
        ("President of the Islamic Republic of Iran", "President of Iran"),
        ("President of the People’s Republic of China", "President of China"),
        ("Human Rights Ombudsperson for the Komi Republic", "Human Rights Ombudsperson for the Komi Republic"),
        ("Minster of Trade and Industry", "Minister of Trade and Industry"),
        ("Deputy Prime Mnister", "Deputy Prime Minister"),
        ("chairman of the Management Committee of Gazprom", "Chairman of the Management Committee of Gazprom"),
        ("Central Bank chairman", "Central Bank Chairman"),
        ("Speaker of The Moscow City Duma", "Speaker of the Moscow City Duma"),
        ("Editor in Chief of Ogonyok magazine", "Editor-in-Chief of Ogonyok magazine"),
        ("Editor-in-chief of the Kommersant newspaper", "Editor-in-Chief of the Kommersant newspaper"),
        ("Senior Trainer of Russia’S Team", "Senior Trainer of Russia’s Team"),
        ("Head of the Interior Ministry Regional Office", "Head of the Interior Ministry Regional Office"),
        ("Former Prime Minister of Japan", "Former Prime Minister of Japan"),
        ("Direct line programme host", "Direct line programme host"),
        ("Gazprom CEO", "CEO of Gazprom"),
        ("Rostec Director General", "Director General of Rostec"),
        ("Krasnoyarsk Territory Governor", "Governor of Krasnoyarsk Territory"),
        ("Governor of the Tula Region", "Governor of Tula Region"),
        ("Moscow Mayor", "Mayor of Moscow"),
        ("Presidential Aide", "Presidential Aide"),  # an adjective, not an organisation
        ("Federation Council Speaker", "Federation Council Speaker"),  # would need an article
        ("Sberbank CEO and Chairman of the Management Board", "Sberbank CEO and Chairman of the Management Board"),
    ],
)
def test_role_normalisation(written: str, normal: str) -> None:
    assert normalise_role(written) == normal


def test_typo_rule_only_drops_and_swaps() -> None:
    assert fix_typo("Minster") == "Minister"
    assert fix_typo("Mnister") == "Minister"
    assert fix_typo("Former") == "Former"  # not Farmer: a substitution
    assert fix_typo("Directors") == "Directors"
    assert edit_distance("abcd", "abdc") == 1


def test_role_key_ignores_case_and_articles() -> None:
    assert role_key("Chairman of The Board") == role_key("chairman of board")


# --- the corpus-wide pass ----------------------------------------------------------------------

PAGE = "Events\n{title}\n{date}\n{body}\n"


def _write(folder: Path, name: str, title: str, date: str, body: str) -> None:
    (folder / f"{name}.txt").write_text(PAGE.format(title=title, date=date, body=body), encoding="utf-8")


def _facet_speakers(index_dir: Path) -> dict[str, int]:
    ix = whoosh_index.open_dir(str(current_generation_dir(index_dir)))
    with ix.searcher() as searcher:
        counts: dict[str, int] = {}
        for fields in searcher.all_stored_fields():
            if fields.get("facet_speaker"):
                counts[fields["facet_speaker"]] = counts.get(fields["facet_speaker"], 0) + 1
        return counts


def test_reindex_merges_spellings_across_files_and_keeps_them_right_incrementally(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _write(corpus, "a", "Talks", "May 7, 2013", "Sergey Chemezov: Hello.\nQuestion: Why?\nSergey Chemezov: Because.")
    reindex(index_dir, [corpus])
    assert _facet_speakers(index_dir) == {"Sergey Chemezov": 2}

    # A new file spells him the common way, more often: every turn moves to that name.
    _write(corpus, "b", "Meeting", "May 8, 2013", "Sergei Chemezov: One.\nSergei Chemezov: Two.\nSergei Chemezov: Three.")
    summary = reindex(index_dir, [corpus])
    assert summary.added == 1 and summary.unchanged == 1
    assert _facet_speakers(index_dir) == {"Sergei Chemezov": 5}
    saved = json.loads((current_generation_dir(index_dir) / PEOPLE_FILE).read_text("utf-8"))
    assert saved == {"aliases": {"Sergey Chemezov": "Sergei Chemezov"}}

    # The file goes: the old spelling is alone again.
    (corpus / "b.txt").unlink()
    reindex(index_dir, [corpus])
    assert _facet_speakers(index_dir) == {"Sergey Chemezov": 2}

    # An alias file alone changes who is who, with no transcript changed.
    _write(corpus, "b", "Meeting", "May 8, 2013", "Sergei Chemezov: One.\nSergei Chemezov: Two.\nSergei Chemezov: Three.")
    reindex(index_dir, [corpus])
    (index_dir / "aliases.toml").write_text('[apart]\n"Sergei Chemezov" = ["Sergey Chemezov"]\n', encoding="utf-8")
    reindex(index_dir, [corpus])
    assert _facet_speakers(index_dir) == {"Sergei Chemezov": 3, "Sergey Chemezov": 2}


def test_full_build_names_people_before_writing_so_nothing_is_written_twice(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _write(corpus, "a", "Talks", "May 7, 2013", "Sergey Chemezov: Hello.\nQuestion: Why?\nSergey Chemezov: Because.")
    _write(corpus, "b", "Meeting", "May 8, 2013", "Sergei Chemezov: One.\nSergei Chemezov: Two.\nSergei Chemezov: Three.")
    reindex(index_dir, [corpus], full=True)
    assert _facet_speakers(index_dir) == {"Sergei Chemezov": 5}
    ix = whoosh_index.open_dir(str(current_generation_dir(index_dir)))
    # Rewriting a file after the build would have left its first documents deleted in the build's segment.
    assert [segment.deleted_count() for segment in ix._segments()] == [0]
    saved = json.loads((current_generation_dir(index_dir) / PEOPLE_FILE).read_text("utf-8"))
    assert saved == {"aliases": {"Sergey Chemezov": "Sergei Chemezov"}}


def test_jsonl_speaker_is_the_label_and_anonymous_voices_have_no_speaker() -> None:
    from index.parse import parse_jsonl

    lines = [
        {"transcript_id": "t", "title": "T", "date": "2013-05-07", "speaker": "Alexander Novak", "role": "Energy Minister", "text": "Oil."},
        {"transcript_id": "t", "speaker": "Question", "text": "Why?"},
    ]
    (transcript,) = parse_jsonl("\n".join(json.dumps(line) for line in lines), source="t.jsonl")
    assert [(u.label, u.speaker, u.role) for u in transcript.utterances] == [
        ("Alexander Novak", "Alexander Novak", "Minister of Energy"),
        ("Question", None, ""),
    ]


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Tatyana Remezova, teacher of Russian language and literature at School No. 5 in Vladivostok: Hello.", "Tatyana Remezova"),
        (
            "Ivan Petrov, head of the regional branch of the People’s Front in Tver Region and member of the Public Chamber: Hi.",
            "Ivan Petrov",
        ),
        ("Oleg Smirnov, a senior researcher at the laboratory of nuclear physics of the institute in Dubna: Yes.", "Oleg Smirnov"),
    ],
)
def test_long_job_descriptions_after_the_name_are_labels(line: str, name: str) -> None:
    matched = lb.match_label(line)
    assert matched is not None
    assert resolve_speakers([matched[0].core])[0][0] == name


@pytest.mark.parametrize(
    "line",
    [
        "Vladimir Putin, first of all, thank you: Yes.",
        "Sergei Ivanov, head of the Executive Office, said: We agree.",
        "Moscow, the capital of the country with many problems and plans for the future: Yes.",
    ],
)
def test_sentences_with_a_comma_are_not_labels(line: str) -> None:
    assert lb.match_label(line) is None


def test_keyness_from_a_sample_and_latest_turns_without_reading_every_turn(tmp_path: Path) -> None:
    """A big corpus is read for keyness in an even sample (scaled up); the latest turns are kept while
    loading, so a page reads only those it shows."""
    from search.people import People

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for n in range(12):
        body = "\n".join(
            ["Anna Ivanova: Pipelines and pipelines again, pipelines everywhere today."] * 4
            + ["Boris Petrov: Schools, hospitals and roads matter for our regions today."] * 4
        )
        _write(corpus, f"t{n:02d}", f"Meeting {n}", f"May {n + 1}, 2013", body)
    reindex(index_dir, [corpus], full=True)
    generation = current_generation_dir(index_dir)
    full, sampled = People(generation), People(generation, keyness_sample=5)
    anna_full, anna_sampled = full.people["Anna Ivanova"], sampled.people["Anna Ivanova"]
    assert full.keywords(anna_full, 3)[0][0] == "pipelines"
    assert sampled.keywords(anna_sampled, 3)[0][0] == "pipelines"
    exact, estimated = full.keywords(anna_full, 3)[0][2], sampled.keywords(anna_sampled, 3)[0][2]
    assert exact == 3 * 48 and abs(estimated - exact) <= exact / 10  # 5 turns of 48 read, scaled up
    latest = full.latest_turns(anna_full, 3)
    assert [turn.date.day for turn in latest] == [12, 12, 12] and [t.seq for t in latest] == sorted((t.seq for t in latest), reverse=True)
