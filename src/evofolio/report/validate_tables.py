"""The tables of ``evofolio validate``'s report: the outer periods, the random asset subsets
and the samplers' comparison (already-escaped HTML cells, wrapped to fit the page)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from evofolio.report.markup import num, paragraph, section
from evofolio.report.text import genome_sentences

__all__ = ["fmt", "periods_table", "samplers_section", "subsets_section"]


def fmt(value: Any, digits: int = 2) -> str:
    """A JSON number of ``validate.json`` as report text (``None``, a missing value, as NaN)."""
    return num(math.nan if value is None else float(value), digits)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], css_id: str) -> str:
    """An HTML table of already-escaped cells."""
    top = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<div class="scroll"><table class="metrics" id="{css_id}"><thead><tr>{top}</tr>'
        f"</thead><tbody>{body}</tbody></table></div>"
    )


def _whole(words: str) -> str:
    """``words``, escaped, kept on one line (a date, a family)."""
    return f'<span class="whole">{escape(words)}</span>'


def _breakable(name: str) -> str:
    """A rule's name, escaped, that may wrap after each underscore."""
    return escape(name).replace("_", "_<wbr>")


def periods_table(periods: Sequence[Mapping[str, Any]], rules: Sequence[str]) -> str:
    """One row per outer period: trading dates, the search's dates and budget, the winning
    family, the period Sharpe of the procedure and of each rule, the search's DSR and PBO (of
    its active returns over the benchmark); under it, across the whole table, the winning
    genome in words (folded), so that the table fits the page's width."""
    head = [
        "Traded",
        "Searched on",
        "Budget",
        "Champion",
        "Procedure Sharpe",
        *(_breakable(r) for r in rules),
        "DSR vs bench&shy;mark",
        "PBO vs bench&shy;mark",
    ]
    top = "".join(f"<th>{h}</th>" for h in head)
    rows = []
    for p in periods:
        budget = p["budget"]
        warm = budget["warm_start_genomes"]
        family = escape(str(p["family"]))
        sentences = " ".join(genome_sentences(p["genome"], str(p["family"])))
        text = [
            f"{_whole(p['trading'][0])} to {_whole(p['trading'][1])}",
            f"{_whole(p['development'][0])} to {_whole(p['development'][1])}",
            f"{budget['population']} × {budget['generations']}"
            + (f", warm start {warm}" if warm else ", cold start"),
            _whole(f"{p['family']} (trial {p['champion_trial']})"),
        ]
        numbers = [
            f"<b>{fmt(p['sharpe'].get('champion'))}</b>",
            *(fmt(p["sharpe"].get(r)) for r in rules),
            fmt(p.get("active_dsr")),
            fmt(p.get("active_pbo")),
        ]
        rows.append(
            "<tr>"
            + "".join(f'<td class="text">{c}</td>' for c in text)
            + "".join(f"<td>{c}</td>" for c in numbers)
            + "</tr>"
            + f'<tr class="genome"><td class="text" colspan="{len(head)}"><details><summary>'
            f"The {family} champion of {escape(p['trading'][0][:4])}: its genome in words"
            f"</summary>{escape(sentences)}</details></td></tr>"
        )
    return (
        '<div class="scroll"><table class="metrics wrap" id="outer-periods"><thead><tr>'
        f"{top}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def subsets_section(subsets: Mapping[str, Any] | None) -> str:
    if not subsets:
        return section(
            "subsets",
            "Random asset subsets",
            [paragraph("Not asked for (evofolio validate --subsets K --subset-size M).", "note")],
        )
    benchmark = str(subsets["benchmark"])
    rows = [
        [
            str(r["subset"]),
            escape(", ".join(r["assets"])),
            fmt(r["sharpe_procedure"]),
            fmt(r[f"sharpe_{benchmark}"]),
            fmt(r["sharpe_min_variance"]),
            fmt(r["vs_benchmark"]),
            fmt(r["vs_min_variance"]),
        ]
        for r in subsets["rows"]
    ]
    head = ["Subset", "Assets", "Procedure", escape(benchmark), "min_variance"]
    head += [f"− {escape(benchmark)}", "− min_variance"]
    vb, vm = subsets["vs_benchmark"], subsets["vs_min_variance"]
    words = (
        f"The procedure's stitched Sharpe ratio beats {benchmark}'s in "
        f"{100 * vb['share_beating']:.0f} % of the {len(rows)} subsets (difference min "
        f"{vb['min']:+.2f}, median {vb['median']:+.2f}, max {vb['max']:+.2f}) and minimum "
        f"variance's in {100 * vm['share_beating']:.0f} % (min {vm['min']:+.2f}, median "
        f"{vm['median']:+.2f}, max {vm['max']:+.2f})."
    )
    return section(
        "subsets",
        "Random asset subsets",
        [paragraph(words, "reading"), _table(head, rows, "subset-table")],
    )


def samplers_section(compared: Mapping[str, Any] | None) -> str:
    if not compared:
        return section(
            "samplers",
            "Samplers compared",
            [
                paragraph(
                    "Not asked for (evofolio validate --samplers nsga2,random runs the same "
                    "procedure with each sampler on the same outer periods and budget).",
                    "note",
                )
            ],
        )
    level = f"{100 * float(compared['confidence']):.0f} %"
    rows = [
        [
            escape(str(r["sampler"])),
            fmt(r["sharpe"]),
            escape(str(r["benchmark"])),
            fmt(r["vs_benchmark"]),
            f"[{fmt(r['ci'][0])}, {fmt(r['ci'][1])}]",
            fmt(r["p_holm"]),
            escape(str(r["outcome"])),
        ]
        for r in compared["rows"]
    ]
    head = ["Sampler", "Stitched Sharpe", "Benchmark", "Difference", f"{level} CI", "Holm p"]
    head += ["Outcome"]
    pairs = [
        [
            escape(f"{p['first']} − {p['second']}"),
            fmt(p["sharpe_first"]),
            fmt(p["sharpe_second"]),
            fmt(p["difference"]),
            f"[{fmt(p['ci_low'])}, {fmt(p['ci_high'])}]",
            fmt(p["p_holm"]),
        ]
        for p in compared["pairs"]
    ]
    pair_head = ["Pair", "Sharpe (first)", "Sharpe (second)", "Difference", f"{level} CI"]
    pair_head += ["Holm p"]
    words = (
        "The same procedure (search, champion, seed ensemble) with each sampler, on the same "
        "outer periods at the same budget. First table: each sampler's stitched track against "
        "the benchmark, its p-value Holm-adjusted over the classic rules as in that "
        "procedure's own verdict. Second table: every pair's difference of stitched Sharpe "
        "ratios (Ledoit–Wolf test, p-values Holm-adjusted over the pairs). A difference whose "
        "interval holds zero is not evidence that one sampler finds better genomes than the "
        "other on this data; a small p is evidence about these periods only."
    )
    return section(
        "samplers",
        "Samplers compared",
        [
            paragraph(words, "reading"),
            _table(head, rows, "sampler-table"),
            _table(pair_head, pairs, "sampler-pairs"),
        ],
    )
