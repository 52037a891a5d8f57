"""Automated accessibility check with axe-core (npm dev dependency) injected by Playwright.

axe is injected into the page and into every child frame (Streamlit components such as
``st_folium`` render in iframes) and run in each document separately, so a map's markup is
checked too. Only the result objects cross back to Python.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_available() -> bool:
    """True when ``npm install`` has put axe-core in node_modules."""
    return AXE_JS.is_file()


def run_axe(frame, options: dict | None = None) -> dict:
    """Inject axe into ``frame`` (a Playwright Page or Frame) and return ``axe.run()`` results."""
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.add_script_tag(path=str(AXE_JS))
    return frame.evaluate(
        "async (opts) => { const r = await axe.run(document, opts);"
        " return {violations: r.violations, url: r.url}; }",
        options or {"resultTypes": ["violations"]},
    )


def run_axe_all_frames(page, options: dict | None = None) -> list[dict]:
    """Results for the page and each of its child frames (one dict per document)."""
    results = []
    for frame in page.frames:
        if frame.is_detached() or frame.url in ("", "about:blank"):
            continue
        results.append(run_axe(frame, options))
    return results


def blocking_violations(results: list[dict]) -> list[dict]:
    """Violations of impact "serious" or "critical" across all documents."""
    return [
        {"frame": r.get("url", ""), **v}
        for r in results
        for v in r["violations"]
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def describe(violations: list[dict]) -> str:
    """A short readable list: rule, impact, help text and the first few offending targets."""
    lines = []
    for v in violations:
        targets = [n.get("target") for n in v.get("nodes", [])[:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} in {v['frame']} -> {targets}")
    return "\n".join(lines)
