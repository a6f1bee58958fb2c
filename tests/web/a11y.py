"""Accessibility checks in the browser with axe-core (vendored in tests/web/vendor, see its README)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page, within: str | None = None) -> list[dict]:
    """axe-core's serious and critical violations on the page (or within one element) as it is now."""
    # Evaluated through the DevTools protocol, not a <script> tag, so the page's CSP need not allow it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source() + "\n;undefined")
    found = page.evaluate(
        """async (within) => {
            const context = within ? document.querySelector(within) : document;
            const result = await axe.run(context, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary),
            }));
        }""",
        within,
    )
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


def assert_accessible(page, within: str | None = None) -> None:
    """Fail with axe-core's own account of each serious or critical violation."""
    found = violations(page, within)
    assert not found, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in found
    )
