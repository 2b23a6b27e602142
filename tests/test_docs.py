"""The README and docs/*.md: every relative link and image resolves, every #anchor names a
heading of its target, and the README stays short."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#* *$", re.M)


def anchor(heading: str) -> str:
    """GitHub's rule: lowercase; drop all but letters, digits, spaces, hyphens and underscores;
    spaces become hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor in a markdown text; a repeated one gets -1, -2, ..."""
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        a = anchor(heading)
        out.add(f"{a}-{seen[a]}" if a in seen else a)
        seen[a] = seen.get(a, 0) + 1
    return out


def test_anchor_follows_githubs_rule():
    assert anchor("Other people's hands, only where they agree") == "other-peoples-hands-only-where-they-agree"
    assert anchor("`gesture run`: the loop") == "gesture-run-the-loop"
    assert anchor("prior: the hand prior beside the peer") == "prior-the-hand-prior-beside-the-peer"
    assert anchors("# A\n```\n# not a heading\n```\n## A\n### A\n") == {"a", "a-1", "a-2"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_resolves(page):
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"(https?|mailto):", target):
            continue
        path, _, frag = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.is_file():
            broken.append(f"{target}: no such file")
        elif frag and dest.suffix == ".md" and frag not in anchors(dest.read_text()):
            broken.append(f"{target}: no heading #{frag} in {dest.relative_to(ROOT)}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300
