"""Checks run on every page a browser test visits: no element id used twice
(a label or radio pointing at another form's field), and no accessibility
violation found by axe-core (npm's axe-core, from node_modules, put into the page only when it is checked).

`watch(page)` wraps the page's navigation (goto, reload, go_back, go_forward,
wait_for_url): each returns only after the page it reached has been checked,
and raises `PageProblem` naming the page and what is wrong. Pages reached in
other ways (a form re-shown with its errors) are checked for duplicate ids as
they load, and the last page of every test is checked in full at its end."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Pages whose markup is not ours: the API documentation (Swagger UI, ReDoc).
NOT_OURS = ("/api/v1/docs/", "/api/v1/redoc/")

DUPLICATE_IDS_JS = """() => {
  const seen = new Map();
  for (const element of document.querySelectorAll('[id]')) {
    if (!element.id) continue;
    seen.set(element.id, (seen.get(element.id) || 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} (${n} times)`);
}"""

# WCAG 2.2 A and AA, and axe's best practices (landmarks, headings, regions).
AXE_JS = """async () => {
  if (!window.axe) return null;
  const result = await window.axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 10).map(n => n.target.join(' ')),
  }));
}"""

REPORT_ON_LOAD = """
window.addEventListener('DOMContentLoaded', () => {
  if (window.top !== window) return;
  const duplicates = (DUPLICATE_IDS)();
  if (duplicates.length && window.__jointlyDuplicateIds) {
    window.__jointlyDuplicateIds(location.pathname, duplicates);
  }
});
""".replace("DUPLICATE_IDS", DUPLICATE_IDS_JS)


class PageProblem(AssertionError):
    pass


def _ours(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and not parts.path.startswith(NOT_OURS)


def _axe_source() -> str:
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE.read_text()
    return _AXE_SOURCE


_AXE_SOURCE = None


def problems_on(page) -> list[str]:
    """What is wrong with the page the browser shows now."""
    if not _ours(page.url):
        return []
    found = []
    duplicates = page.evaluate(DUPLICATE_IDS_JS)
    if duplicates:
        found.append(f"ids used more than once: {', '.join(duplicates)}")
    if not page.evaluate("() => !!window.axe"):
        page.evaluate("() => {" + _axe_source() + "\n}")  # by the DevTools protocol: the CSP does not apply
    violations = page.evaluate(AXE_JS)
    if violations is None:
        found.append("axe-core is not on the page (run `npm ci`)")
    for v in violations or []:
        found.append(f"axe {v['rule']} ({v['impact']}): {v['help']} at {json.dumps(v['nodes'])}")
    return found


def watch(page) -> list[str]:
    """Check every page `page` reaches; returns the list that collects what
    was found on pages that were not checked in full."""
    if not AXE.exists():
        raise PageProblem(f"No axe-core at {AXE}: run `npm ci` (make setup does).")
    late: list[str] = []
    page.context.expose_binding(
        "__jointlyDuplicateIds",
        lambda source, path, duplicates: late.append(f"{path}: ids used more than once: {', '.join(duplicates)}"))
    page.add_init_script(REPORT_ON_LOAD)

    def checked(method):
        def navigate(*args, **kwargs):
            result = method(*args, **kwargs)
            check(page)
            return result
        return navigate

    for name in ("goto", "reload", "go_back", "go_forward", "wait_for_url"):
        setattr(page, name, checked(getattr(page, name)))
    return late


def check(page) -> None:
    page.wait_for_load_state("load")
    found = problems_on(page)
    if found:
        raise PageProblem(f"{urlsplit(page.url).path}:\n  " + "\n  ".join(found))


WIDEST = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const found = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.parentElement && e.parentElement.closest('.jointly-table-scroll')) continue;
    const r = e.getBoundingClientRect();
    const spills = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible';
    if (r.right > limit || spills) {
      found.push(`${e.tagName}.${e.className} right ${Math.round(r.right)} scroll ${e.scrollWidth}`);
    }
  }
  return found.slice(-4);
}"""


def too_wide(page):
    """None when the page fits its viewport's width; else the page's width and
    the last elements found sticking out (tables inside `.jointly-table-scroll`
    regions may scroll there)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return (width, page.evaluate(WIDEST)) if width > 320 else None
