"""A tiny HTML reader for the page tests, so assertions are about elements rather than substrings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from flask.testing import FlaskClient

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str | None]
    parts: list[str] = field(default_factory=list)
    children: list["Element"] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def descendants(self) -> Iterator["Element"]:
        for child in self.children:
            yield child
            yield from child.descendants()


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if self.open:
            self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.parts.append(data)


def parse(html: str) -> list[Element]:
    collector = _Collector()
    collector.feed(html)
    return collector.elements


def _matches(e: Element, tag: str | None, cls: str | None, attrs: dict[str, str]) -> bool:
    wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
    return (
        (tag is None or e.tag == tag)
        and (cls is None or cls in e.classes)
        and all(e.attrs.get(name) == value for name, value in wanted.items())
    )


def select(html: str, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Element]:
    """Elements by tag, class and exact attribute values (`data_x` means `data-x`)."""
    return [e for e in parse(html) if _matches(e, tag, cls, attrs)]


def within(parent: Element, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Element]:
    """Descendants of `parent` selected like `select`."""
    return [e for e in parent.descendants() if _matches(e, tag, cls, attrs)]


def one(html: str, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element:
    found = select(html, tag, cls, **attrs)
    assert len(found) == 1, f"expected one {tag}.{cls} {attrs}, found {len(found)}"
    return found[0]


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def query_of(href: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(href).query)
