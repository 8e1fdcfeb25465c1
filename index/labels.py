"""Speaker labels: recognise `Role Name (note):` at the start of a paragraph and resolve it to a speaker.

Everything here is decided from the shape of the words (capitals, function words, a small
vocabulary of job titles), never from a list of known people, so it carries over to pages
the parser has never seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Lower-case words that may sit inside a role or a name ("Minister of Civil Defence", "el-Sisi").
FUNCTION_WORDS = frozenset(
    "of the and for on in to at with from under by a an de da del della der den van von bin ibn "
    "al el la le du des y i und & – — -".split()
)
# Function words a label broken over lines may contain ("Adviser to the President"); headings
# such as "Speech at the Congress of Judges" or "Meeting with …" use others.
FRAGMENT_WORDS = frozenset("of the and for on in to de da del der van von bin ibn al el la le du des y i & – — -".split())
# Name particles: count as part of a name even when lower-case.
PARTICLES = frozenset("bin ibn al el de da del della der den van von la le du des di".split())
# Words that make a colon-terminated phrase a sentence, not a label ("My question is:").
STOP_WORDS = frozenset(
    """is are was were be been being am will would shall should can could may might must have has had
    do does did not no my our your his her its their this that these those it we you he she they me us
    him them here there what which who whom whose how why when where said says say asked asks noted
    added stressed stated told replied answered explained wrote writes only so if but as than then very
    also just let please thank thanks dear ladies gentlemen friends colleagues following example
    firstly secondly finally now today yesterday however therefore moreover furthermore besides
    meanwhile nevertheless indeed incidentally instead otherwise unfortunately fortunately naturally
    obviously clearly certainly perhaps maybe""".split()
)
# A label never opens with a preposition ("Regarding the United States:", "In Moscow:").
OPENING_PREPOSITIONS = frozenset(
    "in on for with to at as about regarding concerning according from by under after before during "
    "speaking unlike like".split()
)
# Words that, alone before a colon, introduce a point rather than a speaker ("Second: …").
SINGLE_WORD_NON_LABELS = frozenset(
    """first second third fourth fifth sixth seventh eighth ninth tenth firstly secondly thirdly
    lastly finally next then again also besides moreover furthermore however therefore example
    note ps conclusion summary result answer""".split()
)
# Labels that stand for an anonymous voice; the whole label is the speaker ("Question from Izhevsk").
GENERIC_WORDS = frozenset(
    "question questions remark remarks reply response comment answer voice voices audience "
    "participant participants operator".split()
)
# First words of a label that is a voice, not a person, beyond GENERIC_WORDS ("Journalists’ question",
# "Voice from the audience", "Interpreter"); not used to find labels, only to classify them.
ANONYMOUS_WORDS = GENERIC_WORDS | frozenset(
    """journalists journalists’ journalists' interpreter translator unidentified unknown
    man woman boy girl child children pupils students crowd chorus together all someone""".split()
)
# Job titles: the name starts after the last of these ("Gazprom CEO Alexei Miller").
ROLE_WORDS = frozenset(
    """president vice-president minister ceo cfo chairman chairwoman chairperson chair co-chair
    co-chairman co-chairperson director director-general governor head secretary secretary-general
    speaker deputy adviser advisor aide ambassador envoy representative commander commander-in-chief
    chief mayor rector editor editor-in-chief correspondent reporter journalist host presenter anchor
    moderator member king queen prince princess emir sheikh sultan emperor chancellor premier
    patriarch metropolitan archbishop bishop general colonel admiral officer cosmonaut astronaut
    pilot writer teacher coach father mother student doctor worker operator spokesman spokeswoman
    spokesperson founder owner manager commissioner ombudsman prosecutor prosecutor-general judge
    senator leader coordinator curator captain scientist academician professor principal producer
    actor actress singer artist musician athlete champion veteran conductor composer designer
    engineer economist analyst expert lawyer researcher sherpa lieutenant major sergeant trainer
    instructor-test-cosmonaut test-cosmonaut nurse farmer entrepreneur businessman businesswoman
    paramedic surgeon physician miner driver builder mechanic welder blogger poet painter sculptor
    rapporteur mufti imam rabbi priest abbot
    banker auditor inspector plenipotentiary delegate observer partner executive president-elect
    premier-elect treasurer clerk volunteer schoolboy schoolgirl pupil graduate cadet""".split()
)
# Words that end an organisation or place name, so they belong to the role, not the name.
ORG_WORDS = frozenset(
    """region territory republic federation corporation railways committee council union bank
    ministry service agency club centre center institute academy company party fund foundation
    group media board commission chamber assembly duma office administration government court
    district city university school forum society association organisation organization
    community holding news channel television tv radio newspaper magazine gazeta
    pravda times post press""".split()
)

# Last words of a place name: "Verkhnyaya Salda, Sverdlovsk Region:" introduces a question read out, not a speaker.
PLACE_WORDS = frozenset("region territory republic district oblast krai okrug city town village province".split())

_NOTE = re.compile(r"\s*\(([^()]*)\)\s*$")
_ALLOWED_PERIOD = re.compile(r"(?:\b[A-Z]\.|\w\.(?=\w)|\b(?:St|Jr|Sr|Dr|Mr|Mrs|Ms)\.|\bNo\.(?=\s*\d))")
_FORBIDDEN = re.compile(r"[?!;\"“”«»…<>*=\[\]{}|/\\]|\.\.")
_CAMEL = re.compile(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])")
_ROMAN = re.compile(r"^[IVXLC]+$")
MAX_LABEL_WORDS = 25
MAX_LABEL_CHARS = 220


@dataclass(frozen=True)
class Label:
    """A speaker label as written: its words before the colon, minus trailing `(…)` notes."""

    core: str
    notes: tuple[str, ...]


def label_text(label: Label) -> str:
    """The label as written, notes included, without its colon: `Vladimir Putin (retranslated)`."""
    return " ".join([label.core, *(f"({note})" for note in label.notes)])


def _bare(token: str) -> str:
    """A token without the punctuation that may cling to it in a label (commas, parentheses)."""
    return token.strip(",()").strip()


def is_capitalised(token: str) -> bool:
    """Starts like a proper noun: `Putin`, `OLLI-PEKKA`, `el-Sisi`, `d'Estaing`, `58th`."""
    token = _bare(token)
    if not token:
        return False
    if token[0].isupper() or token[0].isdigit():
        return True
    match = re.match(r"([a-z]+)[-’']([A-Z])", token)
    return bool(match) and match.group(1) in PARTICLES | {"d", "l", "o"}


def _name_like(token: str) -> bool:
    """A token that can be part of a person's name."""
    return is_capitalised(token) or _bare(token).lower() in PARTICLES


def _job_described(words: Sequence[str]) -> bool:
    """A description after a name that opens with a job (`senior researcher at …`, `a teacher of …`,
    `head of …`): long ones are labels too, however many lower-case words they have."""
    opening = [w.lower() for w in words[:4] if w]
    if opening and opening[0] in {"a", "an", "the"}:
        opening = opening[1:]
    return any(w in ROLE_WORDS for w in opening[:3])


def split_notes(prefix: str) -> Label:
    """Split `Vladimir Putin (retranslated)` into its core and the trailing notes."""
    notes: list[str] = []
    core = " ".join(prefix.split())
    while True:
        match = _NOTE.search(core)
        if not match or match.start() == 0:
            break
        notes.insert(0, match.group(1).strip())
        core = core[: match.start()].rstrip()
    return Label(core=core, notes=tuple(notes))


def colon_position(line: str) -> int:
    """Index of the first colon outside parentheses within label reach, or -1."""
    head = line[: MAX_LABEL_CHARS * 2]  # a label with its notes is never longer
    colon = head.find(":")
    if colon < 0 or "(" not in head[:colon]:
        return colon
    depth = 0
    for index, char in enumerate(head):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == ":" and depth == 0:
            return index
    return -1


def looks_like_label(core: str) -> bool:
    """Whether the words before a colon name a speaker rather than open a sentence."""
    if not core or len(core) > MAX_LABEL_CHARS or not (core[0].isalpha() or core[0] == "("):
        return False
    if _FORBIDDEN.search(core) or "." in _ALLOWED_PERIOD.sub("", core):
        return False
    words = [_bare(t) for t in core.split()]
    words = [w for w in words if w]
    if not words or len(words) > MAX_LABEL_WORDS:
        return False
    folded = [w.lower() for w in words]
    if folded[0] in OPENING_PREPOSITIONS:
        return False
    for index, word in enumerate(words):
        if word in STOP_WORDS or (index == 0 and folded[0] in STOP_WORDS and not word.isupper()):
            return False
        if word == "I" and index + 1 < len(words) and words[index + 1][:1].islower():
            return False
    if folded[0] in GENERIC_WORDS and words[0][0].isupper():
        return True
    if folded[-1] in PLACE_WORDS and not any(w in ROLE_WORDS for w in folded):
        return False  # "Perm Territory:", a place read out before a quoted question
    head, _, tail = core.partition(",")
    if tail and 1 <= len(head.split()) <= 4 and all(_name_like(t) for t in head.split()) and is_capitalised(head):
        # "Valeriya Korableva, reporter at Channel One": a name, then a short description
        tail_words = [_bare(w) for w in tail.split()]
        lower = [w for w in tail_words if w and not is_capitalised(w) and w.lower() not in FUNCTION_WORDS]
        if any(w.lower() in ROLE_WORDS for w in head.split()):
            return False
        if _job_described(tail_words):
            return True  # "Ivan Petrov, head of the regional branch of … and member of the Public Chamber"
        return len(tail_words) <= 12 and len(lower) <= 3
    if not is_capitalised(words[-1]) and folded[-1] not in ROLE_WORDS:
        return False
    if len(words) == 1:
        return words[0][0].isupper() and not words[0].isdigit() and folded[0] not in SINGLE_WORD_NON_LABELS
    if folded[-1] in ROLE_WORDS or (is_capitalised(words[-1]) and any(w in ROLE_WORDS for w in folded[:-1])):
        return True  # "Call centre operator", "King Abdullah II of Jordan"
    return _name_like(words[-2]) and not any(ch.isdigit() for ch in words[-1])


def match_label(line: str) -> tuple[Label, str] | None:
    """The label a paragraph opens with and the text after its colon, or None."""
    colon = colon_position(line)
    if colon <= 0:
        return None
    rest = line[colon + 1 :].strip()
    if rest[:1].islower() or (rest[:1].isdigit() and line[colon - 1 : colon].isdigit()):
        return None  # "Rostov-on-Don: a problem with…", "Listen: you…", a time of day "17:15"
    label = split_notes(line[:colon])
    if not looks_like_label(label.core):
        return None
    return label, rest


def has_role_word(text: str) -> bool:
    """Whether any word of `text` is a job title."""
    return any(_bare(w).lower() in ROLE_WORDS for w in text.split())


def is_label_fragment(text: str) -> bool:
    """A line that can be the first half of a label wrapped over two lines ("President of Russia")."""
    if not text or colon_position(text) >= 0 or text[-1] in ".;!?…”“\"»" or text[-1].isdigit():
        return False
    if text[0] == "(" and text[-1] == ")":
        return False  # a stage direction, "(Applause)"
    if text.rstrip(")]’'\"")[-1:] in tuple(".;!?…") or text.count(")") > text.count("("):
        return False  # a sentence that ends inside brackets ("…as we agreed.)"), not a label's first half
    words = [_bare(t) for t in text.split()]
    if not words or len(words) > MAX_LABEL_WORDS or _FORBIDDEN.search(text):
        return False
    if words[0].lower() in OPENING_PREPOSITIONS or not (is_capitalised(words[0]) or words[0].lower() in ROLE_WORDS):
        return False
    if "," in text and not any(w.lower() in ROLE_WORDS for w in words):
        return False  # "The Kremlin, Moscow" is a place line, not the start of a label
    titled = words[0].lower() in ROLE_WORDS  # "Member of the regional headquarters of the National"
    for word in words:
        folded = word.lower()
        if word in STOP_WORDS or folded in STOP_WORDS:
            return False
        if not (titled or is_capitalised(word) or folded in FRAGMENT_WORDS | ROLE_WORDS | ORG_WORDS):
            return False
    return True


# --- resolving labels to speakers -------------------------------------------------------------


def name_key(text: str) -> str:
    """Case-, space- and punctuation-insensitive key: `VladimirPUTIN` and `Vladimir Putin` meet."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def smart_title(word: str) -> str:
    """`MEDVEDEV` → `Medvedev`, `OLLI-PEKKA` → `Olli-Pekka`; Roman numerals stay upper-case."""
    if _ROMAN.match(word):
        return word
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), word)


def _is_shouted(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def fix_case(words: Sequence[str], *, is_role: bool, shouting: bool = True) -> list[str]:
    """Undo upper-case labels (`PRESIDENT OF RUSSIA DMITRY MEDVEDEV`). Roles are touched only when
    the label shouts (an acronym such as `FISU` is left alone), and keep short acronyms (`CEO`)."""
    if is_role and not shouting:
        return list(words)
    fixed = []
    for word in words:
        letters = sum(ch.isalpha() for ch in word)
        if not _is_shouted(word) or (_ROMAN.match(word) and not is_role):
            fixed.append(word)
        elif is_role and word.lower() in FUNCTION_WORDS:
            fixed.append(word.lower())
        elif is_role and letters <= 3:
            fixed.append(word)
        else:
            fixed.append(smart_title(word))
    return fixed


def persons_names(persons: Iterable[str]) -> list[str]:
    """Every word order of the Persons block's `Surname Given` entries, to match label endings."""
    names: list[str] = []
    for entry in persons:
        words = entry.split()
        names.extend(" ".join(words[k:] + words[:k]) for k in range(len(words)))
    return names


def _known_suffix(words: Sequence[str], known: set[str]) -> int | None:
    """Start of the longest proper suffix of `words` that is a name seen elsewhere in the document
    (`Vladimir Putin` in `President of Russia Vladimir Putin`); a suffix with a job title is not a name."""
    for start in range(1, len(words) - 1):  # a one-word suffix (`Putin`) is not enough to go on
        suffix = words[start:]
        if any(_bare(w).lower() in ROLE_WORDS for w in suffix) or not any(is_capitalised(w) for w in suffix):
            continue
        if name_key(" ".join(suffix)) in known:
            return start
    return None


def _name_start(words: Sequence[str]) -> int:
    """Where the name begins in `Role … Name` when nothing else in the document tells us."""

    def folded(index: int) -> str:
        return _bare(words[index]).lower()

    anchor = -1
    for index, word in enumerate(words[:-1]):
        if folded(index) in PARTICLES and index > 0 and is_capitalised(words[index - 1]) and is_capitalised(words[index + 1]):
            continue  # "Dmitry de Koshko", "Hamad bin Isa"
        if folded(index) in ROLE_WORDS | FUNCTION_WORDS or not is_capitalised(word) or word.endswith(","):
            anchor = index
    if anchor < 0:
        return 0
    start = anchor + 1
    while start < len(words) - 1 and folded(start) in FUNCTION_WORDS - PARTICLES:
        start += 1
    rest = len(words) - start
    if rest >= 3:
        # "of Uzbekistan Islam Karimov", "General Staff Valery Gerasimov": most names are two words;
        # longer ones are recognised from the Persons block or another label.
        start = len(words) - 2
    elif rest == 2 and folded(anchor) in FUNCTION_WORDS - PARTICLES:
        start += 1  # "of Belarus Lukashenko": the object of "of" belongs to the role
    while start > anchor + 1 and (folded(start) in PARTICLES or folded(start - 1) in PARTICLES):
        start -= 1  # "Mohammed Al Nahyan"
    return min(start, len(words) - 1)


def _ruler_of(words: Sequence[str]) -> tuple[Sequence[str], list[str]] | None:
    """`King Abdullah II of Jordan` → (`Abdullah II`, `King of Jordan`); `Patriarch Kirill of Moscow and
    All Russia` → (`Patriarch Kirill`, `Patriarch of Moscow and All Russia`): a title, a name, `of` a place.
    A one-word name keeps its title, which is how such a person is named."""
    if "of" not in words:
        return None
    titles = [i for i in range(len(words)) if _bare(words[i]).lower() in ROLE_WORDS]
    if not titles:
        return None
    title = titles[0]
    if "of" not in words[title + 1 :]:
        return None
    of = words.index("of", title + 1)
    name = words[title + 1 : of]
    place = words[of + 1 :]
    if not name or any(not is_capitalised(w) or _bare(w).lower() in ROLE_WORDS for w in name) or titles[-1] > title:
        return None
    if not place or not is_capitalised(place[-1]) or len(place) > 6:
        return None
    if any(not is_capitalised(w) and _bare(w).lower() not in {"and", "the", "of"} for w in place):
        return None
    if len(name) == 1:
        return [*words[: title + 1], *name], [*words[: title + 1], *words[of:]]
    return name, [*words[: title + 1], *words[of:]]


def _job_first(head: str, tail: str) -> bool:
    """`Construction, Housing and Utilities Minister Mikhail Men`: the comma lists the areas of a job
    written before the name, it does not end a name. True when the part after the comma is capitalised
    words, then a title, then only the name."""
    words = [_bare(w) for w in tail.split() if _bare(w)]
    titled = [i for i, w in enumerate(words) if w.lower() in ROLE_WORDS]
    if len(head.split()) != 1 or not titled:
        return False
    last = titled[-1]
    name = words[last + 1 :]
    before = words[:last]
    return (
        1 <= len(name) <= 3
        and all(is_capitalised(w) and w.lower() not in ROLE_WORDS for w in name)
        and all(is_capitalised(w) or w.lower() in {"and", "&"} for w in before)
    )


def _is_place(text: str) -> bool:
    """A description that is a town or region, not a job or an outlet (`Moscow`, `Kazan`,
    `Perm Territory`): capitalised words, no title, no organisation word, no acronym."""
    words = [_bare(w) for w in text.split() if _bare(w)]
    return bool(words) and all(
        is_capitalised(w)
        and w.lower() not in ROLE_WORDS
        and (w.lower() not in ORG_WORDS or w.lower() in PLACE_WORDS)
        and not (len(w) > 1 and w.isupper())
        for w in words
    )


def split_role(core: str, known: set[str]) -> tuple[str, str]:
    """(name, role) for a label core: `President of Russia Vladimir Putin` → (`Vladimir Putin`, `President of Russia`)."""
    words = core.split()
    if not words:
        return "", ""
    shouting = sum(_is_shouted(w) for w in words) >= 2

    def name_role(name: Sequence[str], role: Sequence[str]) -> tuple[str, str]:
        role_text = " ".join(fix_case(role, is_role=True, shouting=shouting)).strip(" ,")
        return " ".join(fix_case(name, is_role=False)).strip(" ,"), role_text

    if _bare(words[0]).lower() in GENERIC_WORDS:
        return name_role(words, ())
    head, comma, tail = core.partition(",")
    if (
        comma
        and 1 <= len(head.split()) <= 4
        and all(_name_like(w) and _bare(w).lower() not in ROLE_WORDS for w in head.split())
        and not _job_first(head, tail)
    ):
        if _is_place(tail):
            return name_role(head.split(), ())  # "Ivan Petrov, Kazan": a place, not a job
        return name_role(head.split(), tail.split())  # "Alexei Kudrin, Chairman of the Accounts Chamber"
    if not is_capitalised(words[-1]):
        return name_role(words, ())  # no name at all: "Call centre operator"
    start = _known_suffix(words, known)
    if start is None and len(words) == 2 and _bare(words[0]).lower() in ROLE_WORDS:
        return name_role(words, ())  # "Patriarch Kirill": the title is part of how he is named
    if start is None and (ruler := _ruler_of(words)):
        return name_role(*ruler)
    if start is None:
        start = _name_start(words)
    return name_role(words[start:], words[:start])


def camel_split(name: str) -> str:
    """`VladimirPutin` → `Vladimir Putin` (used only when the document confirms the spaced form)."""
    return _CAMEL.sub(" ", name)


def best_form(forms: Sequence[str]) -> str:
    """The best-written of several spellings of one name: most spaced (`Vladimir Putin` over
    `VladimirPutin`), then least shouted, then first seen."""
    return min(forms, key=lambda form: (-form.count(" "), sum(_is_shouted(w) for w in form.split())))


def _given_name_only(words: Sequence[str]) -> bool:
    """One capitalised word that is not a title: a first name (`Dmitry`)."""
    return len(words) == 1 and is_capitalised(words[0]) and _bare(words[0]).lower() not in ROLE_WORDS


def is_generic_voice(name: str) -> bool:
    """A speaker name given by a corpus that is a voice, not a person (`Question`, `Audience member`)."""
    words = [w for w in (_bare(t) for t in name.split()) if w]
    return bool(words) and words[0].lower() in ANONYMOUS_WORDS


def is_anonymous(core: str) -> bool:
    """Whether a label stands for a voice rather than a person we can name: `Question`, `Remark`,
    `Question from Izhevsk`, `Call centre operator`, `Journalist`, `Dmitry, Moscow` (a caller
    known by a first name and a town). Such turns keep their label but have no speaker."""
    words = [w for w in (_bare(t) for t in core.split()) if w]
    if not words:
        return True
    folded = [w.lower() for w in words]
    if folded[0] in ANONYMOUS_WORDS:
        return True
    head, comma, tail = core.partition(",")
    if comma and _given_name_only(head.split()) and not has_role_word(tail):
        return True  # "Dmitry, Moscow": a first name and a place
    titled = [w for w in folded if w in ROLE_WORDS]
    # No proper name after the first word: "Call centre operator", "Cosmonaut", "Female journalist".
    return bool(titled) and all(not is_capitalised(w) or w.lower() in ROLE_WORDS for w in words[1:])
