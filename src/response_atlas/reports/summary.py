"""A one-page planner summary for a council meeting: self-contained HTML with print CSS.

Open the downloaded file in a browser and print it (or "Save as PDF"); the page is laid out to fit
one US Letter / A4 sheet. No PDF library is bundled: the browser's print is the PDF writer.
Every string is escaped (names and labels can come from users and extracts).
"""

from __future__ import annotations

import pandas as pd

from response_atlas.privacy import escape_text

_CSS = """
@page { size: letter portrait; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: "Helvetica Neue", Arial, sans-serif; color: #111; margin: 0 auto;
       max-width: 190mm; font-size: 10.5pt; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 2pt; }
h2 { font-size: 12pt; margin: 10pt 0 4pt; border-bottom: 1.5pt solid #0072B2; }
p.sub { margin: 0 0 6pt; color: #333; }
table { border-collapse: collapse; width: 100%; page-break-inside: avoid; }
th, td { border: 0.5pt solid #999; padding: 2.5pt 5pt; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #E8F1F8; }
tr.key td { font-weight: bold; }
ul { margin: 4pt 0; padding-left: 14pt; }
.small { font-size: 8.5pt; color: #333; }
.print-hint { background: #FFF8D6; padding: 4pt 6pt; margin-bottom: 6pt; }
@media print { .print-hint { display: none; } body { max-width: none; } }
"""
KEY_FIGURES = (
    "Eligible calls served per year",
    "Annual cost ($)",
    "Months the budget covers",
    "Funding gap per year beyond the budget ($)",
)


def _table(frame: pd.DataFrame, numeric_from: int = 1, key_rows=()) -> str:
    head = "".join(
        f'<th class="{"num" if i >= numeric_from else ""}">{escape_text(c)}</th>'
        for i, c in enumerate(frame.columns)
    )
    rows = []
    for values in frame.itertuples(index=False):
        cls = ' class="key"' if values[0] in key_rows else ""
        cells = "".join(
            f'<td class="{"num" if i >= numeric_from else ""}">{escape_text(v)}</td>'
            for i, v in enumerate(values)
        )
        rows.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def summary_html(
    title: str,
    subtitle: str,
    comparison: pd.DataFrame,
    assumptions: pd.DataFrame,
    notes: list[str] | tuple[str, ...] = (),
) -> str:
    """The summary page. ``comparison``: figures as rows, plans as columns (display text);
    ``assumptions``: ``input, value, source`` rows; ``notes``: short plain-text bullets."""
    notes_html = "".join(f"<li>{escape_text(n)}</li>" for n in notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape_text(title)}</title><style>{_CSS}</style></head>
<body>
<p class="print-hint">Print this page (Ctrl+P / Cmd+P) for a one-page handout, or choose
"Save as PDF".</p>
<h1>{escape_text(title)}</h1>
<p class="sub">{escape_text(subtitle)}</p>
<h2>Plans compared (per year)</h2>
{_table(comparison, key_rows=KEY_FIGURES)}
<h2>How the figures are computed</h2>
<ul>{notes_html}</ul>
<h2>Assumptions and sources</h2>
<div class="small">{_table(assumptions, numeric_from=99)}</div>
</body></html>
"""
