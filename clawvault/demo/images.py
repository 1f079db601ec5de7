"""Pictures of the demo catalog, drawn as SVG by clawvault itself (the demo runs with no network:
its card and claw images must load from the server that lists them). A card is drawn as a
graded slab: the grader's label with the card's name, grade and cert number over a card face."""

from __future__ import annotations

import hashlib
import textwrap
from typing import Any
from xml.sax.saxutils import escape

GRADER_COLORS = {"PSA": "#C8102E", "BGS": "#1F2937", "CGC": "#1D4ED8", "SGC": "#111827"}
WIDTH, HEIGHT = 300, 480


def _traits(attributes: Any) -> dict[str, str]:
    if not isinstance(attributes, list):
        return {}
    return {
        str(a.get("trait_type")): str(a.get("value"))
        for a in attributes
        if isinstance(a, dict) and "trait_type" in a
    }


def _hue(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) % 360


def _lines(text: str, width: int, most: int) -> list[str]:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > most:
        lines = [*lines[: most - 1], textwrap.shorten(" ".join(lines[most - 1 :]), width)]
    return lines


def card_svg(name: str, attributes: Any, side: str) -> str:
    traits = _traits(attributes)
    grader = traits.get("Grader", "PSA")
    label_color = GRADER_COLORS.get(grader, "#374151")
    subject = traits.get("Player") or traits.get("Character") or name
    hue = _hue(subject)
    grade = traits.get("Grade", "").removeprefix(f"{grader} ").removesuffix(".0")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(name)} ({side})">',
        f'<rect x="2" y="2" width="{WIDTH - 4}" height="{HEIGHT - 4}" rx="14" fill="#E5E7EB" '
        'stroke="#9CA3AF" stroke-width="3"/>',
        f'<rect x="14" y="14" width="{WIDTH - 28}" height="84" rx="6" fill="{label_color}"/>',
    ]
    if side == "front":
        for row, line in enumerate(_lines(name, 30, 3)):
            parts.append(
                f'<text x="24" y="{36 + row * 17}" font-family="sans-serif" font-size="13" '
                f'fill="#fff">{escape(line)}</text>'
            )
        parts.append(
            f'<text x="{WIDTH - 24}" y="90" font-family="sans-serif" font-size="22" '
            f'font-weight="bold" fill="#fff" text-anchor="end">{escape(grade)}</text>'
        )
        parts.append(
            f'<text x="24" y="90" font-family="monospace" font-size="11" fill="#fff">'
            f"{escape(grader)} {escape(traits.get('Cert Number', ''))}</text>"
        )
        parts += [
            f'<rect x="34" y="114" width="{WIDTH - 68}" height="340" rx="8" '
            f'fill="hsl({hue},55%,42%)"/>',
            f'<circle cx="{WIDTH // 2}" cy="250" r="78" fill="hsl({(hue + 40) % 360},70%,70%)"/>',
        ]
        for row, line in enumerate(_lines(subject, 18, 2)):
            parts.append(
                f'<text x="{WIDTH // 2}" y="{380 + row * 24}" font-family="serif" '
                f'font-size="20" font-weight="bold" fill="#fff" text-anchor="middle">'
                f"{escape(line)}</text>"
            )
        parts.append(
            f'<text x="{WIDTH // 2}" y="436" font-family="sans-serif" font-size="12" '
            f'fill="#fff" text-anchor="middle">'
            f"{escape(traits.get('Year', ''))} {escape(traits.get('Set', ''))}</text>"
        )
    else:
        parts += [
            f'<text x="{WIDTH // 2}" y="62" font-family="sans-serif" font-size="16" '
            f'fill="#fff" text-anchor="middle">{escape(grader)} certified</text>',
            f'<rect x="34" y="114" width="{WIDTH - 68}" height="340" rx="8" fill="#1E3A8A"/>',
            f'<ellipse cx="{WIDTH // 2}" cy="284" rx="90" ry="130" fill="none" '
            'stroke="#93C5FD" stroke-width="8"/>',
            f'<text x="{WIDTH // 2}" y="292" font-family="serif" font-size="24" '
            'fill="#DBEAFE" text-anchor="middle">clawvault</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def claw_svg(slug: str) -> str:
    title = slug.replace("-", " ").title()
    hue = _hue(slug)
    lines = "".join(
        f'<text x="200" y="{170 + row * 34}" font-family="sans-serif" font-size="28" '
        f'font-weight="bold" fill="#fff" text-anchor="middle">{escape(line)}</text>'
        for row, line in enumerate(_lines(title, 20, 2))
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300" '
        f'role="img" aria-label="{escape(title)}">'
        f'<rect width="400" height="300" rx="18" fill="hsl({hue},60%,35%)"/>'
        f'<rect x="40" y="30" width="320" height="90" rx="10" fill="hsl({hue},60%,55%)"/>'
        '<path d="M200 40 v30 m-22 0 h44 m-44 0 l-12 30 m56 -30 l12 30" stroke="#fff" '
        'stroke-width="6" fill="none" stroke-linecap="round"/>'
        f"{lines}</svg>"
    )
