"""The table every scale benchmark prints: measure, value, target, met."""

from __future__ import annotations

from collections.abc import Sequence


def print_table(rows: Sequence[tuple[str, str, str, bool]]) -> None:
    """One Markdown row per measure: what, the value measured, its target, and whether
    the value meets it."""
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    widths = [max(w, len(h)) for w, h in zip(widths, ("measure", "value", "target"), strict=True)]
    print(f"| {'measure':<{widths[0]}} | {'value':>{widths[1]}} | {'target':<{widths[2]}} | ok  |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|-----|")
    for measure, value, target, met in rows:
        ok = "yes" if met else "NO"
        print(
            f"| {measure:<{widths[0]}} | {value:>{widths[1]}} | {target:<{widths[2]}} | {ok:<3} |"
        )
