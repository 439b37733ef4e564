#!/usr/bin/env python3
"""report_check.py DIR [TITLE...]: the structure of a `scalefit report` output folder, checked with
the standard library only (CI has no HTML validator and no Markdown renderer).

DIR/index.html and every DIR/*/index.html:
  - <!DOCTYPE html>, <html lang>, <meta charset="utf-8">, a non-empty <title>
  - elements nest (every end tag closes the element open, void elements never closed)
  - no id twice in the page (the charts are inlined: their ids must not collide)
  - every relative <a href> and <img src> names a file that exists, a link's #fragment an id on
    that page (the index's "2 warnings" and a report's list of them); every <img> has alt text
  - every <table> has a header row of <th>
  - every inline <svg> is named for a screen reader by a <title> that is its chart's title (the
    figure's caption starts with it), not gnuplot's "Gnuplot"
DIR/*/report.md:
  - no raw HTML: every '<' is backslash-escaped (CommonMark would read '<b>' as a tag)
  - every table's delimiter row has one cell per header cell; a column is right-aligned (---:)
    exactly when its cells are figures (a number, a band '[..', a dollar amount, '-')
  - every linked file exists
With TITLE arguments: some report's <h1> (its text, entities decoded) and some report.md's first
heading (backslash escapes removed) equal each TITLE exactly.
Prints one line per problem and exits 1 if there was any.
"""
import glob
import html
import html.parser
import os
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# elements whose end tag HTML lets one leave out; the writer never does, so they are checked too
problems = []


def bad(where, msg):
    problems.append(f"{where}: {msg}")


class Page(html.parser.HTMLParser):
    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.stack = []
        self.ids = {}
        self.doctype = None
        self.lang = None
        self.charset = None
        self.title = ""
        self.h1 = ""
        self.links = []
        self.imgs = []
        self.tables = []  # per table: number of <th> in it
        self.svgs = []    # per svg: [first <title> text, caption text]
        self.figcaption = None
        self.in_svg_title = False
        self.in_title = False
        self.in_h1 = False

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        where = f"{self.path}:{self.getpos()[0]}"
        if "id" in a:
            if a["id"] in self.ids:
                bad(where, f"id '{a['id']}' twice (first on line {self.ids[a['id']]})")
            else:
                self.ids[a["id"]] = self.getpos()[0]
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and "charset" in a:
            self.charset = a["charset"]
        elif tag == "a" and "href" in a:
            self.links.append((where, a["href"]))
        elif tag == "img":
            self.imgs.append((where, a.get("src"), a.get("alt")))
        elif tag == "table":
            self.tables.append([where, 0])
        elif tag == "th" and self.tables:
            self.tables[-1][1] += 1
        elif tag == "svg":
            self.svgs.append([None, None, where])
        elif tag == "title":
            if "svg" in self.stack and self.svgs and self.svgs[-1][0] is None and self.stack[-1] == "svg":
                self.in_svg_title = True
                self.svgs[-1][0] = ""
            elif "svg" not in self.stack:
                self.in_title = True
        elif tag == "h1":
            self.in_h1 = True
        elif tag == "figcaption":
            self.figcaption = ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        # <rect .../> inside an SVG, <meta ...> written as <meta .../>: nothing stays open
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        where = f"{self.path}:{self.getpos()[0]}"
        if tag in VOID:
            bad(where, f"</{tag}> closes a void element")
            return
        if not self.stack or self.stack[-1] != tag:
            bad(where, f"</{tag}> while <{self.stack[-1] if self.stack else '(none)'}> is open")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "title":
            self.in_svg_title = self.in_title = False
        elif tag == "h1":
            self.in_h1 = False
        elif tag == "figcaption" and self.svgs:
            self.svgs[-1][1] = self.figcaption
            self.figcaption = None

    def handle_data(self, data):
        if self.in_svg_title:
            self.svgs[-1][0] += data
        elif self.in_title:
            self.title += data
        if self.in_h1:
            self.h1 += data
        if self.figcaption is not None:
            self.figcaption += data


def page_ids(path):
    q = Page(path)
    with open(path, encoding="utf-8") as f:
        q.feed(f.read())
    return q.ids


def check_html(path):
    p = Page(path)
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    if not p.doctype or p.doctype.lower() != "doctype html":
        bad(path, f"doctype is {p.doctype!r}, not 'DOCTYPE html'")
    if not p.lang:
        bad(path, "<html> without lang")
    if (p.charset or "").lower() != "utf-8":
        bad(path, f"charset {p.charset!r}, not utf-8")
    if not p.title.strip():
        bad(path, "empty <title>")
    if p.stack:
        bad(path, f"elements left open at the end: {p.stack}")
    base = os.path.dirname(path)
    for where, href in p.links:
        if re.match(r"^[a-z]+:", href):
            continue
        target = os.path.normpath(os.path.join(base, href.split("#")[0])) if not href.startswith("#") else path
        if not os.path.exists(target):
            bad(where, f"link to '{href}': no such file")
        elif "#" in href:  # a link to a place on a page: the page has that id
            frag = href.split("#", 1)[1]
            ids = p.ids if target == path else page_ids(target)
            if frag not in ids:
                bad(where, f"link to '{href}': no id '{frag}' in {target}")
    for where, src, alt in p.imgs:
        if not alt:
            bad(where, "<img> without alt text")
        if src and not re.match(r"^[a-z]+:", src) and not os.path.exists(os.path.join(base, src)):
            bad(where, f"<img src='{src}'>: no such file")
    for where, nth in p.tables:
        if nth == 0:
            bad(where, "<table> without a <th> header")
    for title, caption, where in p.svgs:
        if not title or not title.strip() or title.strip() == "Gnuplot":
            bad(where, f"inline <svg> named {title!r} for a screen reader, not by its chart's title")
        elif caption is None or not caption.startswith(title):
            bad(where, f"the caption {caption!r} does not start with the chart's title {title!r}")
    return p


FIGURE = re.compile(r"^(-|\$?[-+]?[0-9][^ ]*( \\\[.*\\\])?|\\\[.*\\\]|\\\$[0-9].*|[-+]?[0-9.]+ dec)$")


def md_cells(line):
    """The cells of a Markdown table row: split at '|' not escaped by a backslash."""
    cells, cur, i = [], "", 0
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            cur += body[i:i + 2]
            i += 2
            continue
        if body[i] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += body[i]
        i += 1
    if cur.strip():
        cells.append(cur.strip())
    return cells


def check_md(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    base = os.path.dirname(path)
    for n, line in enumerate(lines, 1):
        for m in re.finditer(r"<", line):
            if m.start() == 0 or line[m.start() - 1] != "\\":
                bad(f"{path}:{n}", f"unescaped '<' (raw HTML): {line[:80]!r}")
        for m in re.finditer(r"(?<!\\)\]\(([^)\s]+)\)", line):  # not an escaped \]
            t = m.group(1)
            if not re.match(r"^[a-z]+:", t) and not os.path.exists(os.path.join(base, t)):
                bad(f"{path}:{n}", f"link to '{t}': no such file")
    n = 0
    while n < len(lines):
        if lines[n].startswith("|") and n + 1 < len(lines) and re.match(r"^\|(\s*-+:?\s*\|)+\s*$", lines[n + 1]):
            head, delim = md_cells(lines[n]), md_cells(lines[n + 1])
            rows = []
            k = n + 2
            while k < len(lines) and lines[k].startswith("|"):
                rows.append(md_cells(lines[k]))
                k += 1
            where = f"{path}:{n + 1}"
            if len(delim) != len(head):
                bad(where, f"{len(head)} header cells, {len(delim)} in the delimiter row")
            for r, row in enumerate(rows):
                if len(row) != len(head):
                    bad(f"{path}:{n + 3 + r}", f"{len(row)} cells under {len(head)} headers")
            for c, d in enumerate(delim):
                col = [row[c] for row in rows if c < len(row)]
                figures = bool(col) and all(FIGURE.match(v) for v in col)
                if d.endswith(":") != figures:
                    bad(where, f"column '{head[c] if c < len(head) else c}' is {'right' if d.endswith(':') else 'left'}"
                               f"-aligned, its cells are {'figures' if figures else 'text'}: {col[:3]}")
            n = k
        else:
            n += 1


def unmd(s):
    return re.sub(r"\\(.)", r"\1", s)


def main():
    d = sys.argv[1]
    titles = sys.argv[2:]
    h1s, mdh = [], []
    for path in [os.path.join(d, "index.html")] + sorted(glob.glob(os.path.join(d, "*", "index.html"))):
        h1s.append(check_html(path).h1)
    for path in sorted(glob.glob(os.path.join(d, "*", "report.md"))):
        check_md(path)
        with open(path, encoding="utf-8") as f:
            first = f.readline().rstrip("\n")
        mdh.append(unmd(first[2:]) if first.startswith("# ") else None)
    for t in titles:
        if t not in h1s:
            bad(d, f"no report's <h1> reads {t!r} (have {h1s})")
        if t not in mdh:
            bad(d, f"no report.md's heading reads {t!r} (have {mdh})")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
