"""Roles (job titles) written one way: `Energy Minister` = `Minister of Energy`, no `the Republic of`,
no case-only variants, no `Minster` typos.

Pure functions of the role text, so a role reads the same in every transcript whichever way the
page wrote it; the role as written stays visible in the utterance's `label`.
"""

from __future__ import annotations

import re

from index import labels as lb

# Words that qualify a title and stay in front of it when the word order is turned round:
# "First Deputy Finance Minister" → "First Deputy Minister of Finance".
TITLE_MODIFIERS = frozenset("first deputy acting former vice".split())
# The area of a ministry that its short form names differently ("Foreign Minister").
MINISTRY_AREAS = {"foreign": "Foreign Affairs", "interior": "the Interior"}
# Titles a preceding capitalised word is part of, not a ministry ("Prime Minister").
NOT_AREAS = frozenset("prime".split())
LOWER_INSIDE = frozenset("of the and for on in to at with from by a an".split())
# Ministers and "X Minister" only: other titles take an article ("Speaker of the Federation Council")
# that cannot be restored from "Federation Council Speaker".
_REORDERED_TITLES = frozenset({"minister"})
_REPUBLIC_OF = re.compile(r"\bof the (?:(?:[A-Z][\w’'-]+) )?Republic of (?=[A-Z])")
# "Governor of the Tula Region" is written as often without the article: drop it before a region.
_THE_REGION = re.compile(r"\bof the ((?:[A-Z][\w’'-]+ ){1,3}(?:Region|Territory|Oblast|Krai|Okrug|District)\b)")
_IN_CHIEF = re.compile(r"\b(\w+)[ -]in[ -]chief\b", re.IGNORECASE)
_CAPITAL_S = re.compile(r"(?<=\w)([’'])S\b")
_MIN_TYPO_LENGTH = 6
_REAL_WORDS = lb.ROLE_WORDS | lb.ORG_WORDS | TITLE_MODIFIERS | lb.GENERIC_WORDS


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (adjacent swaps count once), capped at `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def fix_typo(word: str) -> str:
    """A job title with one letter dropped or two swapped (`Minster`, `Mnister`) as the title.

    Only drops and swaps, and never a word of the vocabularies (`Office` is not `Officer`, `Former`
    not `Farmer`): short words and substitutions too often make another real word."""
    folded = word.lower()
    if len(word) < _MIN_TYPO_LENGTH or folded in _REAL_WORDS or not word[:1].isalpha():
        return word
    for title in lb.ROLE_WORDS:
        if len(title) == len(folded) + 1 or (len(title) == len(folded) and sorted(title) == sorted(folded)):
            if title[0] == folded[0] and edit_distance(folded, title, 1) <= 1:
                return title.capitalize() if word[0].isupper() else title
    return word


def _fix_case(words: list[str]) -> list[str]:
    """The first word and a title after a capitalised name capitalised (`Central Bank chairman`),
    `The` after a function word lower-case (`Speaker of The Duma`); the rest as written."""
    fixed: list[str] = []
    for index, word in enumerate(words):
        folded = word.lower()
        previous = words[index - 1] if index else ""
        if folded == "the" and previous.lower() in LOWER_INSIDE:
            fixed.append(folded)  # "Chairman of The Management Board"
        elif folded in lb.ROLE_WORDS and word.islower() and previous[:1].isupper() and not previous.endswith(",") and previous.lower() not in LOWER_INSIDE:
            fixed.append(word.capitalize())  # "Central Bank chairman"
        elif index == 0 and word[:1].islower():
            fixed.append(word[:1].upper() + word[1:])
        else:
            fixed.append(word)
    return fixed


def _is_area_word(word: str) -> bool:
    """A word that can name a ministry's area: capitalised or joining (`Construction, Housing and`)."""
    bare = word.strip(",")
    return bool(bare) and (bare[0].isupper() or bare.lower() == "and") and bare.lower() not in lb.ROLE_WORDS


def _reorder(words: list[str]) -> list[str]:
    """`[Deputy] Energy Minister [of X]` → `[Deputy] Minister of Energy [of X]`."""
    for index, word in enumerate(words):
        if word.lower() not in _REORDERED_TITLES or index == 0:
            continue
        start = index
        while start > 0 and _is_area_word(words[start - 1]) and words[start - 1].lower() not in TITLE_MODIFIERS:
            start -= 1
        area = [w.strip(",") if i == index - start - 1 else w for i, w in enumerate(words[start:index])]
        if not area or area[0].lower() in NOT_AREAS or area[-1].lower() in NOT_AREAS or area[0].lower() == "and":
            continue
        if any(w.lower() in NOT_AREAS for w in area):
            continue
        if index + 1 < len(words) and words[index + 1].lower() in {"of", "for"}:
            continue  # "German Minister of Foreign Affairs": the area is already after the title
        if len(area) == 1 and area[0].lower() in MINISTRY_AREAS:
            area = MINISTRY_AREAS[area[0].lower()].split()
        return [*words[:start], words[index], "of", *area, *words[index + 1 :]]
    return words


_ADJECTIVE_ENDINGS = ("al", "an", "ese", "ish", "ic")


def _reorder_org(words: list[str]) -> list[str]:
    """`Gazprom CEO` → `CEO of Gazprom`, `Krasnoyarsk Territory Governor` → `Governor of Krasnoyarsk
    Territory`: a title after one proper name (or a place ending in Region, Territory…), nothing after.

    Longer organisation names are left alone: they usually need an article (`Speaker of the
    Federation Council`) that cannot be told from `Federation Council Speaker`."""
    titled = [i for i, w in enumerate(words) if w.lower() in lb.ROLE_WORDS]
    if not titled or titled[0] == 0:
        return words
    start = titled[0]
    prefix, title = words[:start], words[start:]
    if any(w.lower() in {"of", "for", "at", "and"} or not (w[:1].isupper() or w.lower() == "in") for w in title):
        return words
    if not all(w[:1].isupper() and w.lower() not in lb.ROLE_WORDS | TITLE_MODIFIERS for w in prefix):
        return words
    place = len(prefix) in (2, 3) and prefix[-1].lower() in lb.PLACE_WORDS
    proper = len(prefix) == 1 and not prefix[0].lower().endswith(_ADJECTIVE_ENDINGS)
    if not (place or proper) or prefix[0].lower() in NOT_AREAS:
        return words
    return [*title, "of", *prefix]


def normalise_role(role: str) -> str:
    """One spelling per job: word order, `the Republic of`, case, `in Chief` and one-letter typos."""
    text = " ".join(role.split()).strip(" ,")
    if not text:
        return ""
    text = _CAPITAL_S.sub(lambda m: m.group(1) + "s", text)  # "Russia’S" (an upper-cased label undone)
    text = _IN_CHIEF.sub(lambda m: f"{m.group(1)}-in-Chief", text)
    words = [fix_typo(w.rstrip(",")) + ("," if w.endswith(",") else "") for w in text.split()]
    words = _reorder(_fix_case(words))
    if words and "minister" not in {w.lower() for w in words}:
        words = _reorder_org(words)
    text = " ".join(words)
    text = _REPUBLIC_OF.sub("of ", text)
    return _THE_REGION.sub(r"of \1", text)


def role_key(role: str) -> str:
    """Key under which two spellings of one normalised role meet (case, articles, punctuation)."""
    words = [w for w in re.findall(r"\w+", role.casefold()) if w != "the"]
    return " ".join(words)
