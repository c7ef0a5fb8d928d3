"""dealias site: every pair a page, both twins on every page, no broken internal link, nothing
fetched from the network; and, where Chromium is installed, both columns render."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reference.cli import main
from reference.pairs import discover
from reference.teaching import site

CHROMIUM = Path("/usr/bin/chromium")


class Page(HTMLParser):
    """What a page links to, its ids, and the text inside the manual and native cells."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()
        self.columns: dict[str, list[str]] = {"manual": [], "native": []}
        self._cell: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for key in ("href", "src"):
            if found.get(key):
                self.links.append((tag, found[key]))
        if found.get("id"):
            self.ids.add(found["id"])
        classes = (found.get("class") or "").split()
        if tag == "td":
            self._cell = next((c for c in ("manual", "native") if c in classes), None)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell:
            self.columns[self._cell].append(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    site.build(out, examples=2)
    return out


def test_every_pair_has_a_page_with_both_twins(built):
    pages = {p.stem for p in built.glob("*.html")} - {"index"}
    assert pages == set(discover())
    for name, pair in discover().items():
        page = Page((built / f"{name}.html").read_text())
        manual_text, native_text = ("".join(page.columns[s]) for s in ("manual", "native"))
        for public in pair.public_names("manual"):
            assert public in manual_text, (name, public)
        for public in pair.public_names("native"):
            assert public in native_text, (name, public)
        assert pair.manual_path.read_text().splitlines()[0].strip('"') in manual_text
        assert pair.native_path.read_text().splitlines()[0].strip('"') in native_text


def test_the_index_lists_every_pair_with_its_check(built):
    index = (built / "index.html").read_text()
    page = Page(index)
    assert {url for tag, url in page.links if tag == "a"} >= {f"{n}.html" for n in discover()}
    assert index.count('<span class="agree">agree</span>') == 2 * len(discover())


def test_no_broken_internal_link_and_nothing_external(built):
    pages = {path: Page(path.read_text()) for path in built.glob("*.html")}
    for path, page in pages.items():
        for tag, url in page.links:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, (path.name, tag, url)
            target = built / parts.path if parts.path else path
            assert target.is_file(), (path.name, url)
            if parts.fragment:
                assert parts.fragment in pages[target].ids, (path.name, url)
        assert "<script" not in path.read_text()
    assert "@import" not in (built / "style.css").read_text()
    assert "url(" not in (built / "style.css").read_text()


def test_pieces_show_their_pictures_and_equations(built):
    conv = (built / "conv2d.html").read_text()
    assert 'src="pictures/conv2d.png"' in conv and 'src="pictures/conv2d-frames.png"' in conv
    assert 'src="pictures/conv_transpose2d.png"' in (built / "conv_transpose2d.html").read_text()
    assert 'src="pictures/graph.png"' in (built / "backward.html").read_text()
    sgd = (built / "sgd.html").read_text()
    assert '<table class="equations">' in sgd and '<td class="n">(5)</td>' in sgd


def test_a_piece_folds_its_parity_module_under_the_twins(built):
    page = (built / "linear.html").read_text()
    assert '<details class="parity"><summary>manual/_parity/linear.py</summary>' in page
    assert page.index("The twins") < page.index("How it matches torch at the edges")
    sgd = (built / "sgd.html").read_text()  # its fused multiply-add: the shared rounding
    assert '<details class="parity"><summary>manual/_parity/rounding.py</summary>' in sgd
    assert "How it matches torch at the edges" not in (built / "zero_grad.html").read_text()


def test_math_rendering():
    assert site.math_html("c1 = 1 - beta1^t") == "c1 = 1 - β<sub>1</sub><sup>t</sup>"
    assert site.math_html("d = sqrt(v) + eps") == "d = √(v) + ε"
    assert site.math_html("logp_ik - log sum_j exp(x_ij)") == \
        "logp<sub>ik</sub> - log Σ<sub>j</sub> exp(x<sub>ij</sub>)"
    assert site.math_html("if lambda != 0, a <= b") == "if λ ≠ 0, a ≤ b"
    assert site.math_html("conv_transpose2d(dy, W)") == "conv_transpose2d(dy, W)"


def test_site_command(tmp_path, capsys):
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert main(["site", "--out", str(blocked)]) == 2
    assert "a file of that name exists" in capsys.readouterr().err


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")
def test_chromium_renders_both_columns(built, tmp_path):
    for name, needles in (("index", ["conv2d.html", "sgd.html"]),
                          ("sgd", ["class SGD(Optimizer):", "class SGD(torch.optim.SGD):"])):
        page = Page(_chromium(built / f"{name}.html", tmp_path, "--dump-dom"))
        rendered = "".join(page.columns["manual"]) + " | " + "".join(page.columns["native"])
        for needle in needles:
            assert needle in rendered or needle in {url for _, url in page.links}, needle
    shot = tmp_path / "shot.png"
    _chromium(built / "sgd.html", tmp_path, f"--screenshot={shot}", "--window-size=1400,900")
    assert shot.read_bytes()[:4] == b"\x89PNG"


def _chromium(page: Path, tmp_path: Path, *args: str) -> str:
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *args,
         page.resolve().as_uri()], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
