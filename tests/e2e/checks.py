"""What every page must pass in a browser: no sideways scroll, thumb-sized controls, axe-core.

axe-core comes from an installed package (`axe-playwright-python` bundles `axe.min.js`; no
CDN): its version is asserted below so an upgrade is a visible change.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

AXE_VERSION = "4.12.1"
# WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET = 44  # px, both ways

# Interactive elements a finger must hit (hidden inputs and elements not shown are skipped).
_TARGETS_JS = """
() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const small = [];
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 && r.height === 0) continue;
    if (style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    if (r.width < MIN || r.height < MIN) {
      const text = (el.innerText || el.value || el.name || el.id || el.tagName).trim();
      small.push(`${el.tagName.toLowerCase()} "${text.slice(0, 40)}" ` +
                 `${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}
"""


@cache
def axe_script() -> str:
    script = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    assert f"axe v{AXE_VERSION}" in script[:200], script[:200]
    return script


def axe_violations(page: Any) -> list[str]:
    """WCAG 2.0/2.1 A and AA violations on the page as it is now (one line per node)."""
    page.evaluate(axe_script())
    options = json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}})
    result = page.evaluate(f"axe.run(document, {options})")
    lines = []
    for v in result["violations"]:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary']}")
    return lines


def sideways_overflow(page: Any) -> int:
    """How many px the page is wider than the viewport (0 = no sideways scroll)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return max(0, int(width) - int(page.viewport_size["width"]))


def spilling_cards(page: Any) -> list[str]:
    """Cards whose content is wider than the card (spills out of it, or scrolls inside it)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('.card')]
                .filter(c => c.scrollWidth > c.clientWidth + 1)
                .map(c => (c.querySelector('h1,h2,h3') || c).innerText.slice(0, 40) +
                          ` ${c.scrollWidth}>${c.clientWidth}`)"""
        )
    )


def small_targets(page: Any) -> list[str]:
    """Visible controls smaller than 44x44 px."""
    return list(page.evaluate(_TARGETS_JS.replace("MIN", str(MIN_TARGET))))


def page_problems(page: Any, *, phone: bool, axe: bool = True) -> list[str]:
    """Everything wrong with the page as shown (empty when it passes)."""
    problems = [f"axe: {line}" for line in axe_violations(page)] if axe else []
    overflow = sideways_overflow(page)
    if overflow:
        problems.append(f"scrolls sideways by {overflow}px")
    problems += [f"content wider than its card: {c}" for c in spilling_cards(page)]
    if phone:
        problems += [f"small target: {t}" for t in small_targets(page)]
    return problems
