"""A page laid out like the site's (en.kremlin.ru), for the HTML reader's and the fetcher's tests."""

from __future__ import annotations

TAGS = """<div class="read__tags masha-ignore">
<div class="read__tagscol"><h3>Geography</h3><ul class="read__taglist"><li><a rel="tag"><i></i>United States</a></li></ul></div>
<div class="read__tagscol"><h3>Topics</h3><ul class="read__taglist"><li class="p-category"><a rel="tag"><i></i>Foreign policy </a></li>
<li class="read__tagsmore"><a><i></i>1 more</a></li><li class="p-category"><a rel="tag"><i></i>Security</a></li></ul></div>
<div class="read__tagscol"><h3>Persons</h3><ul class="read__taglist"><li><a rel="tag"><i></i>Kerry John</a></li></ul></div>
</div>"""
STATUS = """<div class="read__status masha-ignore"><h3>Publication status</h3>
<p>Published in&nbsp;sections: <a href="http://en.kremlin.ru/events/president/news">News</a>,
<a href="http://en.kremlin.ru/events/president/transcripts">Transcripts</a><br/></p>
<p> Publication date: <time datetime="2013-05-07">May 7, 2013, 18:30</time></p></div>"""


def site_page(
    body: str,
    *,
    page_id: str | None = "17890",
    title: str = "Meeting with US Secretary of State John Kerry",
    lead: str = "<div><p>Vladimir Putin welcomed US Secretary of State John Kerry to&nbsp;the Kremlin.</p></div>",
    meta: str = '<time class="read__published" datetime="2013-05-07">May 7, 2013</time>'
    '<div class="read__time">18:30</div><div class="read__place p-location"><i></i>The Kremlin, Moscow</div>',
    tags: str = TAGS,
    status: str = STATUS,
) -> str:
    """A page laid out like the site's: head with og:url, the article's header, text block, tags and status."""
    og = f'<meta property="og:url" content="http://en.kremlin.ru/events/president/news/{page_id}"/>' if page_id else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"/>
<title>{title} • President of Russia</title>{og}<script>var x = "<b>Not text:</b>";</script></head>
<body><div class="header"><a href="/">President of Russia</a><p><b>Menu:</b> Events</p></div>
<article class="read__in hentry h-entry" id="event-{page_id}"><div class="read__content"><div class="read__top">
<a href="http://en.kremlin.ru/events/president/news" class="read__categ" rel="category">Events</a>
<h1 class="entry-title p-name" itemprop="name">{title}</h1>
<div class="read__lead entry-summary p-summary" itemprop="description">{lead}</div>
<div class="read__meta">{meta}</div></div>
<div class="entry-content e-content read__internal_content" itemprop="articleBody">
{body}
<div class="read__bottommeta hidden-copy">{tags}{status}</div>
</div></div></article>
<div class="footer"><p>All content on this site is licensed under Creative Commons Attribution 4.0</p></div>
</body></html>"""
