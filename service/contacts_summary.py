"""The role mix of a contact list beside the study's: counts, shares, a text table and an SVG bar chart."""
from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass
from xml.sax.saxutils import escape

from training.roles import ROLES

OUT_OF_SCOPE = "out_of_scope"
UNCLASSIFIED = "unclassified"
OUT_OF_SCOPE_JA = "対象外（役割なし）"
UNCLASSIFIED_JA = "未分類（読めない行・空の行）"


@dataclass(frozen=True)
class RoleShare:
    id: str
    name_ja: str
    count: int
    share: float
    """Of the rows that got a role, so the six add up to 1 as the study's do."""
    study_share: float


class RoleMix:
    """Counts of primary roles, accumulated row by row (constant memory, whatever the length of the list)."""

    def __init__(self):
        self.counts: Counter[str] = Counter()

    def add(self, primary: str | None, classified: bool = True) -> None:
        """One row: its primary role, None when out of scope, or classified=False when it was not read."""
        self.counts[(primary or OUT_OF_SCOPE) if classified else UNCLASSIFIED] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def with_role(self) -> int:
        return sum(self.counts[role.id] for role in ROLES)

    @property
    def out_of_scope(self) -> int:
        return self.counts[OUT_OF_SCOPE]

    @property
    def unclassified(self) -> int:
        return self.counts[UNCLASSIFIED]

    def shares(self) -> list[RoleShare]:
        """The six roles in LABELS.md order, this list's share beside the study's."""
        with_role = self.with_role
        return [RoleShare(role.id, role.name_ja, self.counts[role.id],
                          self.counts[role.id] / with_role if with_role else 0.0, role.study_share)
                for role in ROLES]

    def to_dict(self) -> dict:
        return {"total_rows": self.total, "rows_with_role": self.with_role,
                "out_of_scope": self.out_of_scope, "unclassified": self.unclassified,
                "roles": [share.__dict__ for share in self.shares()]}

    def table(self) -> str:
        """A plain-text table for a terminal, aligned for full-width characters."""
        rows = [("役割", "件数", "割合", "調査")]
        rows += [(share.name_ja, f"{share.count:,}", _percent(share.share), _percent(share.study_share))
                 for share in self.shares()]
        rows += [(OUT_OF_SCOPE_JA, f"{self.out_of_scope:,}", "-", "-"),
                 (UNCLASSIFIED_JA, f"{self.unclassified:,}", "-", "-"),
                 ("合計", f"{self.total:,}", "", "")]
        widths = [max(_display_width(row[column]) for row in rows) for column in range(4)]
        lines = ["  ".join(_pad(cell, width, left=column == 0) for column, (cell, width)
                           in enumerate(zip(row, widths))).rstrip() for row in rows]
        lines.append(f"割合は役割のある{self.with_role:,}行に対する比率です（調査: 50人超の人脈の構成）。")
        return "\n".join(lines)

    def chart_svg(self) -> str:
        return render_chart(self)


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    padding = " " * (width - _display_width(text))
    return text + padding if left else padding + text


# --- The chart ------------------------------------------------------------------------------------

# Horizontal bars, so the Japanese role names sit on one line each and the chart stays legible when a
# phone scales it down to ~340 px.
CHART_WIDTH = 400
LABEL_RIGHT, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP = 112, 120, 352, 64
GROUP_HEIGHT, BAR_HEIGHT = 44, 15
CHART_HEIGHT = PLOT_TOP + GROUP_HEIGHT * len(ROLES) + 52
PLOT_BOTTOM = PLOT_TOP + GROUP_HEIGHT * len(ROLES)
LIST_COLOUR, STUDY_COLOUR = "#2563eb", "#9ca3af"
FONT = "'Hiragino Sans','Hiragino Kaku Gothic ProN','Noto Sans CJK JP','IPAGothic','Yu Gothic',Meiryo,sans-serif"


def render_chart(mix: RoleMix) -> str:
    """Grouped bars, this list beside the study, one group per role; one SVG shared by the command and the page."""
    shares = mix.shares()
    top = max([0.1] + [max(s.share, s.study_share) for s in shares])
    axis_max = min(1.0, math.ceil(top * 10 - 1e-9) / 10)  # the longest bar, rounded up to 10%

    def x(share: float) -> float:
        return PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * share / axis_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" '
        f'width="{CHART_WIDTH}" height="{CHART_HEIGHT}" role="img" aria-labelledby="mix-title" '
        f'font-family="{FONT}" font-size="13">',
        '<title id="mix-title">役割の構成: この名簿と調査の比較</title>',
        f'<rect width="{CHART_WIDTH}" height="{CHART_HEIGHT}" fill="#ffffff"/>',
        '<text x="8" y="22" font-size="16" font-weight="bold" fill="#111827">役割の構成（この名簿と調査）</text>',
        _legend_item(8, 46, LIST_COLOUR, f"この名簿（役割あり {mix.with_role:,}件）"),
        _legend_item(236, 46, STUDY_COLOUR, "調査（50人超の人脈）"),
    ]
    for step in range(0, int(round(axis_max * 10)) + 1):
        grid_x = x(step / 10)
        parts.append(f'<line x1="{grid_x:.1f}" x2="{grid_x:.1f}" y1="{PLOT_TOP}" y2="{PLOT_BOTTOM}" '
                     f'stroke="#e5e7eb"/>')
        parts.append(f'<text x="{grid_x:.1f}" y="{PLOT_BOTTOM + 16}" text-anchor="middle" fill="#6b7280" '
                     f'font-size="11">{step * 10}%</text>')
    for index, share in enumerate(shares):
        group_top = PLOT_TOP + GROUP_HEIGHT * index
        parts.append(f'<text x="{LABEL_RIGHT}" y="{group_top + 20}" text-anchor="end" fill="#111827">'
                     f'{escape(share.name_ja)}</text>')
        parts.append(f'<text x="{LABEL_RIGHT}" y="{group_top + 36}" text-anchor="end" fill="#6b7280" '
                     f'font-size="11">{share.count:,}件</text>')
        for offset, value, colour, series in ((6, share.share, LIST_COLOUR, "list"),
                                              (6 + BAR_HEIGHT + 2, share.study_share, STUDY_COLOUR, "study")):
            bar_top = group_top + offset
            parts.append(f'<rect class="bar bar-{series}" data-role="{share.id}" x="{PLOT_LEFT}" y="{bar_top}" '
                         f'width="{x(value) - PLOT_LEFT:.1f}" height="{BAR_HEIGHT}" fill="{colour}">'
                         f'<title>{escape(share.name_ja)} {_label(series)} {_percent(value)}</title></rect>')
            parts.append(f'<text x="{x(value) + 4:.1f}" y="{bar_top + BAR_HEIGHT - 3}" fill="#374151" '
                         f'font-size="11">{value * 100:.0f}%</text>')
    parts.append(f'<line x1="{PLOT_LEFT}" x2="{PLOT_LEFT}" y1="{PLOT_TOP}" y2="{PLOT_BOTTOM}" stroke="#374151"/>')
    parts.append(f'<text x="8" y="{CHART_HEIGHT - 12}" fill="#4b5563" font-size="11">'
                 f'全{mix.total:,}行。対象外{mix.out_of_scope:,}行・未分類{mix.unclassified:,}行は'
                 f'割合に含みません。</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _legend_item(x: int, y: int, colour: str, text: str) -> str:
    return (f'<rect x="{x}" y="{y - 11}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 17}" y="{y}" fill="#111827" font-size="12">{escape(text)}</text>')


def _label(series: str) -> str:
    return "この名簿" if series == "list" else "調査"
