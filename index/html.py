"""Read the site's own HTML pages (en.kremlin.ru, as served, saved from a browser or mirrored
with wget): header fields, tag lists and the article's paragraphs, with speaker labels taken
from the mark-up (a bold run at the start of a paragraph, then a colon).

`read_page` is a pure function of the page's text; `index.parse.parse_html` turns its `Page`
into a Transcript with the same turn grouping and speaker resolution as the text parser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from index import labels as lb
from index import layout
from index.errors import TranscriptParseError

HTML_SUFFIXES = (".html", ".htm")
# Other views of a page in a wget mirror (`news/<id>/print.html`, …): duplicates, never indexed.
DUPLICATE_NAMES = frozenset({"print.html", "photos.html", "videos.html", "print.htm", "photos.htm", "videos.htm"})
ID_PREFIX = "kremlin-"
ARTICLE_BODY = '[itemprop="articleBody"]'

# Page furniture inside the article: photo sliders, "See also" boxes, person tooltips, the tag
# lists and publication status (read separately). The site marks it `masha-ignore` (left out of
# its own text selection); the captions of single photos and videos are kept, as narration.
_FURNITURE = (
    ".slider, .read__cut, .read__tooltip, .read__bottommeta, .read__tags, .read__status, "
    ".masha-ignore:not(.media):not(.media__container):not(.video__description)"
)
_SKIP_TAGS = frozenset(
    "script style noscript template iframe video audio img picture svg canvas button form input select "
    "textarea object embed source track meta link head".split()
)
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote section article aside header footer table tr td th "
    "figure figcaption pre hr address main nav".split()
)
_BOLD_TAGS = frozenset({"b", "strong"})
_PAGE_ID = re.compile(r"^\d+$")
# A pull quote repeats words of a paragraph within this many paragraphs of it.
_QUOTE_REACH = 6
_QUOTE_OVERLAP = 0.7


@dataclass(frozen=True)
class Page:
    """What a page of the site says, before speakers are resolved."""

    page_id: str | None
    url: str | None
    section: str | None
    title: str
    summary: tuple[str, ...]
    date: dt.date
    time: str | None
    place: str | None
    topics: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    published_in: tuple[str, ...] = ()
    body: tuple[layout.Block, ...] = ()

    @property
    def transcript_id(self) -> str | None:
        """`kremlin-<page id>`, the id the text form of the same page has; None without a page id."""
        return f"{ID_PREFIX}{self.page_id}" if self.page_id else None


@dataclass
class _Run:
    """A paragraph being collected: its characters and which of them are bold."""

    chars: list[str] = field(default_factory=list)
    bold: list[bool] = field(default_factory=list)
    quote: bool = False


@dataclass(frozen=True)
class MarkedParagraph:
    """A paragraph of page text, whitespace collapsed, with a bold flag per character."""

    text: str
    bold: tuple[bool, ...]
    quote: bool = False  # inside a <blockquote>


def _normalise(run: _Run) -> MarkedParagraph:
    """Collapse whitespace (no-break spaces included) and trim, keeping the bold flags aligned."""
    chars: list[str] = []
    bold: list[bool] = []
    for char, is_bold in zip(run.chars, run.bold):
        if char.isspace():
            if not chars or chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        bold.append(is_bold)
    while chars and chars[-1] == " ":
        chars.pop()
        bold.pop()
    return MarkedParagraph("".join(chars), tuple(bold), run.quote)


def paragraphs(root: LexborNode) -> list[MarkedParagraph]:
    """The text of `root` as paragraphs: every block element ends one; <br> is a space."""
    result: list[MarkedParagraph] = []
    run = _Run()

    def flush() -> None:
        nonlocal run
        paragraph = _normalise(run)
        if paragraph.text:
            result.append(paragraph)
        run = _Run()

    def add(text: str, is_bold: bool, quote: bool) -> None:
        run.chars.extend(text)
        run.bold.extend([is_bold] * len(text))
        run.quote = run.quote or quote

    # An explicit stack, not recursion: a page of a thousand nested <div>s must not hit
    # Python's recursion limit (it stopped every reindex). An entry is a node still to read
    # (with the bold and quote state around it), or None: the end of a block element.
    stack: list[tuple[LexborNode, bool, bool] | None] = [(root, False, False)]
    while stack:
        entry = stack.pop()
        if entry is None:
            flush()
            continue
        node, is_bold, quote = entry
        if node is not root and node.is_text_node:
            add((node.text_content or "").translate(layout.INVISIBLE), is_bold, quote)
            continue
        tag = node.tag or ""
        if node is not root and tag == "br":
            add(" ", is_bold, quote)
            continue
        children: list[tuple[LexborNode, bool, bool] | None] = []
        child = node.child
        while child is not None:
            tag = child.tag or ""
            if child.is_text_node or tag == "br":
                children.append((child, is_bold, quote))
            elif not child.is_element_node or tag in _SKIP_TAGS:
                pass
            elif tag in _BLOCK_TAGS:
                children += [None, (child, is_bold or tag in _BOLD_TAGS, quote or tag == "blockquote"), None]
            else:
                children.append((child, is_bold or tag in _BOLD_TAGS, quote))
            child = child.next
        stack.extend(reversed(children))
    flush()
    return result


def _label(paragraph: MarkedParagraph) -> tuple[lb.Label, str] | None:
    """The speaker label the mark-up gives a paragraph: it opens with bold text, and everything
    before the first colon is bold or a parenthesised note (`<b>Name</b> (<i>retranslated</i>):`)."""
    text, bold = paragraph.text, paragraph.bold
    if not text or not bold[0]:
        return None
    colon = lb.colon_position(text)
    if colon <= 0:
        return None
    depth = 0
    for char, is_bold in zip(text[:colon], bold[:colon]):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif not (is_bold or depth or char.isspace()):
            return None
    label = lb.split_notes(text[:colon])
    if not lb.looks_like_label(label.core):
        return None  # bold emphasis that happens to end in a colon ("<b>My question is:</b>")
    return label, text[colon + 1 :].strip()


def _words(text: str) -> set[str]:
    """The distinct lower-case words of a text."""
    return set(re.findall(r"\w+", text.lower()))


def _is_pull_quote(texts: Sequence[MarkedParagraph], index: int) -> bool:
    """A <blockquote> that repeats the words of paragraphs around it (the site's highlighted quotes)."""
    words = _words(texts[index].text)
    if not words:
        return True
    nearby: set[str] = set()
    for other in (*texts[max(0, index - _QUOTE_REACH) : index], *texts[index + 1 : index + 1 + _QUOTE_REACH]):
        if not other.quote:
            nearby |= _words(other.text)
    return len(words & nearby) >= _QUOTE_OVERLAP * len(words)


def body_blocks(texts: Sequence[MarkedParagraph]) -> list[layout.Block]:
    """Blocks for the turn grouping: separators, elisions, labelled and plain paragraphs; pull quotes dropped."""
    blocks: list[layout.Block] = []
    for index, paragraph in enumerate(texts):
        text = paragraph.text
        if paragraph.quote and _is_pull_quote(texts, index):
            continue
        if layout.SEPARATOR_LINE.match(text):
            blocks.append(layout.Block(layout.SEPARATOR, ""))
        elif layout.ELISION_MARK.fullmatch(text):
            blocks.append(layout.Block(layout.ELISION, "…"))
        elif matched := _label(paragraph):
            blocks.append(layout.Block(layout.TEXT, text, *matched))
        else:
            blocks.append(layout.Block(layout.TEXT, text))
    return blocks


def _text(node: LexborNode | None) -> str:
    """The text of a node, whitespace collapsed ("" for no node)."""
    if node is None:
        return ""
    return " ".join((node.text(deep=True) or "").translate(layout.INVISIBLE).split())


def _meta(tree: LexborHTMLParser, selector: str) -> str:
    """The content of a <meta> element ("" without one)."""
    node = tree.css_first(selector)
    return (node.attributes.get("content") or "").strip() if node is not None else ""


def page_id_of(url: str) -> str | None:
    """The site's page id at the end of a page address (`…/news/17890`, `17890.html`), else None."""
    path = urlsplit(url.strip()).path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    for suffix in HTML_SUFFIXES:
        last = last.removesuffix(suffix)
    return last if _PAGE_ID.match(last) else None


def _address(tree: LexborHTMLParser, source: str) -> tuple[str | None, str | None]:
    """(page id, page URL) from og:url, the canonical link or the file name (`<id>.html`)."""
    og = _meta(tree, 'meta[property="og:url"]')
    canonical_node = tree.css_first('link[rel="canonical"]')
    canonical = (canonical_node.attributes.get("href") or "").strip() if canonical_node is not None else ""
    url = next((u for u in (og, canonical) if urlsplit(u).scheme in ("http", "https")), None)
    file_name = re.split(r"[\\/]", source)[-1]
    for candidate in (og, canonical, file_name):
        page_id = page_id_of(candidate) if candidate else None
        if page_id:
            return page_id, url
    return None, url


def _date(article: LexborNode, source: str) -> dt.date:
    """The event's day: the page's date line, an announcement's dates, or the publication date."""
    for selector in (".read__published", ".announce_date"):
        node = article.css_first(selector)
        if node is None:
            continue
        if (day := layout.parse_date(_text(node))) is not None:
            return day
        if (stamp := node.attributes.get("datetime")) and (day := _iso_day(stamp)) is not None:
            return day
    for node in article.css(".read__status time[datetime]"):
        if (day := _iso_day(node.attributes.get("datetime") or "")) is not None:
            return day
    raise TranscriptParseError(source, 1, "no date on the page (.read__published or a publication date)")


def _iso_day(stamp: str) -> dt.date | None:
    """The day of an ISO date or timestamp (`2013-05-07`, `2013-05-07T18:30`), or None."""
    try:
        return dt.date.fromisoformat(stamp.strip()[:10])
    except ValueError:
        return None


def _tags(article: LexborNode) -> dict[str, tuple[str, ...]]:
    """The Geography / Topics / Persons lists, without their `2 more` toggles."""
    tags: dict[str, tuple[str, ...]] = {}
    for column in article.css(".read__tagscol"):
        name = layout.TAG_HEADINGS.get(_text(column.css_first("h3")))
        if name is None or name in tags:
            continue
        items = (_text(item) for item in column.css("li") if "read__tagsmore" not in (item.attributes.get("class") or ""))
        tags[name] = tuple(item for item in items if item and not layout.MORE_LINE.match(item))
    return tags


def _published_in(article: LexborNode) -> tuple[str, ...]:
    """Site sections from `Published in sections: News, Transcripts`."""
    for paragraph in article.css(".read__status p"):
        if _text(paragraph).startswith("Published in"):
            return tuple(_text(link) for link in paragraph.css("a") if _text(link))
    return ()


def _optional(article: LexborNode, selector: str) -> str | None:
    """The text of an optional header element, None when absent or empty."""
    return _text(article.css_first(selector)) or None


def is_site_page(data: str | bytes) -> bool:
    """Whether an HTML document is an article page of the site (it has the article text block)."""
    return LexborHTMLParser(data).css_first(ARTICLE_BODY) is not None


def read_page(html: str, *, source: str) -> Page:
    """The parts of one page of the site; raises TranscriptParseError for a page without article text, title or date."""
    tree = LexborHTMLParser(html)
    body = tree.css_first(ARTICLE_BODY)
    if body is None:
        raise TranscriptParseError(source, 1, "not an article page of the site: no article text (itemprop=articleBody)")
    article = _article(body)
    title = _text(article.css_first("h1")) or _meta(tree, 'meta[property="og:title"]')
    if not title:
        raise TranscriptParseError(source, 1, "no title (h1) on the page")
    date = _date(article, source)
    tags = _tags(article)
    published_in = _published_in(article)
    for node in list(article.css(_FURNITURE)):
        node.decompose()
    lead = article.css_first(".read__lead")
    summary = tuple(p.text for p in paragraphs(lead)) if lead is not None else ()
    time = _optional(article, ".read__time")
    page_id, url = _address(tree, source)
    return Page(
        page_id=page_id,
        url=url,
        section=_optional(article, ".read__categ"),
        title=title,
        summary=summary,
        date=date,
        time=time if time and layout.TIME_LINE.match(time) else None,
        place=_optional(article, ".read__place"),
        topics=tags.get("topics", ()),
        geography=tags.get("geography", ()),
        persons=tags.get("persons", ()),
        published_in=published_in,
        body=tuple(body_blocks(paragraphs(body))),
    )


def _article(body: LexborNode) -> LexborNode:
    """The <article> around the text block (header, tags and status live there), or the whole page."""
    node: LexborNode = body
    while node.parent is not None:
        node = node.parent
        if node.tag == "article":
            return node
    return node


# --- listing pages (`/events/president/news`, `…/news/page/2`) ---------------------------------


@dataclass(frozen=True)
class Listing:
    """What a listing page of the site links to: its entries (page id, day) newest first, and the next page."""

    entries: tuple[tuple[str, dt.date | None], ...]
    next_href: str | None


def read_listing(html: str | bytes) -> Listing:
    """The entries (`.hentry` with a data-id or a link to a page) and the `rel=next` link of a listing page."""
    tree = LexborHTMLParser(html)
    entries: list[tuple[str, dt.date | None]] = []
    seen: set[str] = set()
    for entry in tree.css(".hentry"):
        link = entry.css_first("a[href]")
        page_id = entry.attributes.get("data-id") or (page_id_of(link.attributes.get("href") or "") if link else None)
        if not page_id or not _PAGE_ID.match(page_id) or page_id in seen:
            continue
        seen.add(page_id)
        stamp = entry.css_first("time[datetime]")
        entries.append((page_id, _iso_day(stamp.attributes.get("datetime") or "") if stamp is not None else None))
    following = tree.css_first('a[rel="next"]')
    return Listing(tuple(entries), (following.attributes.get("href") or None) if following is not None else None)
