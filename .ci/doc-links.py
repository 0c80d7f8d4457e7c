"""Checks the links of the rendered crate docs (target/doc, after `cargo doc`): every relative link
of every page of the workspace's crates must name a file that rustdoc wrote (and, for a #fragment on
a page of these crates, an id on that page). The README is the crate's front page, so a link that
works on GitHub but not in the docs (a path into the repository) fails here. Links to other sites
are not fetched (CI has no network); they are counted. Blanket implementations are skipped: their
docs are the dependencies' own (tracing's `WithSubscriber` links `dispatcher#..`, relative to
tracing's docs), rendered into every page of every type."""
import html.parser
import pathlib
import sys
import urllib.parse

doc = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/doc")
crates = sys.argv[2:] or ["gcore_billing", "gcore_billing_codegen", "gcore_billing_fake"]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SKIPPED = {"blanket-implementations-list"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()
        self.depth, self.skip_from = 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in VOID:
            return
        self.depth += 1
        if self.skip_from is None and attrs.get("id") in SKIPPED:
            self.skip_from = self.depth
        if tag == "a" and attrs.get("href") and self.skip_from is None:
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.skip_from is not None and self.depth <= self.skip_from:
            self.skip_from = None
        self.depth -= 1


def parse(path, cache={}):
    if path not in cache:
        page = Page()
        page.feed(path.read_text(errors="replace"))
        cache[path] = page
    return cache[path]


broken, external, checked = [], set(), 0
for crate in crates:
    root = doc / crate
    if not root.is_dir():
        sys.exit(f"{root} is missing: run cargo doc first")
    for page_path in sorted(root.rglob("*.html")):
        for href in parse(page_path).links:
            url = urllib.parse.urlsplit(href)
            if url.scheme in ("http", "https"):
                external.add(href)
                continue
            if url.scheme in ("mailto", "javascript"):
                continue
            if url.scheme:
                broken.append(f"{page_path.relative_to(doc)}: {href} (not a URL rustdoc resolves)")
                continue
            checked += 1
            target = page_path if not url.path else (page_path.parent / urllib.parse.unquote(url.path))
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page_path.relative_to(doc)}: {href} (no {target})")
                continue
            inside = any(doc.resolve() / c in target.parents for c in crates)
            if url.fragment and inside and target.suffix == ".html":
                if url.fragment not in parse(target).ids and not url.fragment.startswith(("L", "method.", "tymethod.")):
                    broken.append(f"{page_path.relative_to(doc)}: {href} (no id {url.fragment!r})")

print(f"{checked} relative links checked in {', '.join(crates)}; {len(external)} links to other sites not fetched")
if broken:
    print("broken links:", *broken, sep="\n  ")
    sys.exit(1)
