"""The poster as one self-contained A4 SVG: plain ``<text>`` lines, QR codes as paths.

Black on white only (it is printed on office printers and copied), the system's own
sans-serif (no font files), one ``<text>`` per line so nothing depends on the viewer's
line breaking. Right-to-left languages are set from the right edge; addresses stay
left-to-right. When a long translation would run past the bottom, the type is made a
little smaller until everything fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from dialogs.render import isolate_ltr
from weeraan.poster.links import Link
from weeraan.poster.measure import wrap, wrap_link
from weeraan.poster.qr import qr_group
from weeraan.poster.texts import PosterTexts

SVG_NS: Final = "http://www.w3.org/2000/svg"
XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"
WIDTH: Final = 210.0  # mm, A4
HEIGHT: Final = 297.0
MARGIN: Final = 14.0
FONTS: Final = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
LINE: Final = 1.25  # line height as a multiple of the font size
LINE_RTL: Final = 1.4  # Arabic script has marks above and below: more room between lines
ASCENT: Final = 0.93
SMALLEST: Final = 0.6  # the type is never made smaller than this share of its size

register_namespace("", SVG_NS)


@dataclass(frozen=True)
class Poster:
    """What goes on one poster: its language, its texts and the codes' targets."""

    locale: str
    rtl: bool
    texts: PosterTexts
    links: tuple[Link, ...]
    language_names: tuple[str, ...]


def render_svg(poster: Poster) -> str:
    scale = 1.0
    while True:
        sheet = _Sheet(poster, scale)
        sheet.compose()
        if sheet.y <= HEIGHT - MARGIN or scale <= SMALLEST:
            sheet.spread(HEIGHT - MARGIN - sheet.y)
            return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(
                sheet.root, encoding="unicode"
            )
        scale = max(SMALLEST, scale * 0.97)


class _Sheet:
    """One attempt at laying the poster out at a type ``scale``; ``y`` is where it ended."""

    def __init__(self, poster: Poster, scale: float) -> None:
        self.poster = poster
        self.scale = scale
        self.line = LINE_RTL if poster.rtl else LINE
        self.y = MARGIN
        self.root = Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "width": "210mm",
                "height": "297mm",
                "viewBox": f"0 0 {WIDTH:g} {HEIGHT:g}",
                "lang": poster.locale,
                XML_LANG: poster.locale,
                "font-family": FONTS,
                "fill": "#000",
            },
        )
        SubElement(self.root, "title").text = poster.texts.headline
        SubElement(self.root, "rect", {"width": "100%", "height": "100%", "fill": "#fff"})
        self.parent = self.root

    def compose(self) -> None:
        texts = self.poster.texts
        self.section("message")
        self.paragraph("headline", texts.headline, 14.0, bold=True)
        self.paragraph("promise", texts.promise, 9.5, bold=True, before=2.0)
        self.paragraph("who", texts.who, 5.6, before=3.0)
        for number, step in enumerate(texts.steps, start=1):
            self.bullet(f"step{number}", step, 5.6, before=5.0 if number == 1 else 2.5)
        self.section("codes")
        self.codes(before=7.0)
        names = " · ".join(self.poster.language_names)
        self.paragraph("languages", texts.languages, 4.8, center=True, before=5.0)
        self.paragraph("language-names", names, 4.8, bold=True, center=True, before=0.5)
        self.section("safety")
        self.safety(before=6.0)
        self.paragraph("person", texts.person, 4.8, before=5.0)
        self.paragraph("footer", texts.footer, 4.0, before=1.5)

    def section(self, name: str) -> None:
        self.parent = SubElement(self.root, "g", {"data-section": name})

    def spread(self, room: float) -> None:
        """Share the room left at the bottom: the codes move down half, the safety box and
        the footer to the bottom margin."""
        moves = {"codes": room / 2, "safety": room}
        for group in self.root.iter("g"):
            move = moves.get(group.get("data-section", ""), 0.0)
            if move > 0.05:
                group.set("transform", f"translate(0 {_n(move)})")

    # -- text -------------------------------------------------------------------------------

    def paragraph(
        self,
        key: str,
        text: str,
        size: float,
        *,
        bold: bool = False,
        center: bool = False,
        before: float = 0.0,
        indent: float = 0.0,
        inset: float = 0.0,
        link: bool = False,
        left: float = MARGIN,
        right: float = WIDTH - MARGIN,
    ) -> Element:
        """Lines of ``text`` from the reading side (or centred) between ``left`` and
        ``right``, wrapped by an estimate of their width; returns their group."""
        size *= self.scale
        self.y += before * self.scale
        width = right - left - indent - 2 * inset
        lines = (wrap_link if link else wrap)(text, width, size, bold=bold)
        group = SubElement(self.parent, "g", {"data-text": key})
        rtl = self.poster.rtl and not link
        for line in lines:
            self.y += size * ASCENT
            shown = isolate_ltr(line) if rtl else line
            attributes = {
                "x": _n(self._x(left, right, indent + inset, center)),
                "y": _n(self.y),
                "font-size": _n(size),
                "direction": "rtl" if rtl else "ltr",
                "text-anchor": "middle" if center else "start",
            }
            if bold:
                attributes["font-weight"] = "bold"
            SubElement(group, "text", attributes).text = shown
            self.y += size * (self.line - ASCENT)
        return group

    def _x(self, left: float, right: float, offset: float, center: bool) -> float:
        if center:
            return (left + right) / 2
        return right - offset if self.poster.rtl else left + offset

    def bullet(self, key: str, text: str, size: float, *, before: float) -> None:
        top = self.y + before * self.scale
        group = self.paragraph(key, text, size, before=before, indent=8.0)
        radius = 1.4 * self.scale
        centre = WIDTH - MARGIN - radius if self.poster.rtl else MARGIN + radius
        dot_y = top + size * self.scale * (ASCENT - 0.35)
        circle = {"cx": _n(centre), "cy": _n(dot_y), "r": _n(radius), "aria-hidden": "true"}
        SubElement(group, "circle", circle)

    # -- codes and the safety box -------------------------------------------------------------

    def codes(self, *, before: float) -> None:
        links = self.poster.links
        self.y += before * self.scale
        top = self.y
        column = (WIDTH - 2 * MARGIN) / len(links)
        size = min(56.0 * self.scale, column - 10.0)
        bottom = top
        for index, link in enumerate(links):
            place = len(links) - 1 - index if self.poster.rtl else index  # first on the right
            left = MARGIN + place * column
            self.y = top
            x = left + (column - size) / 2
            self.parent.append(
                qr_group(link.url, x=x, y=top, size=size, element_id=f"qr-{link.kind}")
            )
            self.y = top + size
            caption = getattr(self.poster.texts, link.kind)  # "telegram" or "website"
            right = left + column
            self.paragraph(
                f"caption-{link.kind}",
                caption,
                6.5,
                bold=True,
                center=True,
                before=1.0,
                inset=2.0,
                left=left,
                right=right,
            )
            self.paragraph(
                f"link-{link.kind}",
                link.shown,
                4.6,
                link=True,
                center=True,
                before=0.5,
                inset=2.0,
                left=left,
                right=right,
            )
            bottom = max(bottom, self.y)
        self.y = bottom

    def safety(self, *, before: float) -> None:
        self.y += before * self.scale
        top = self.y
        box = SubElement(self.parent, "rect", {"data-box": "safety"})
        pad = 4.0
        self.y += pad * self.scale
        texts = self.poster.texts
        self.paragraph("danger", texts.danger, 6.2, bold=True, inset=pad)
        self.paragraph("gas", texts.gas, 5.6, inset=pad, before=1.0)
        self.y += pad * self.scale
        stroke = 0.9
        box.attrib.update(
            {
                "x": _n(MARGIN + stroke / 2),
                "y": _n(top),
                "width": _n(WIDTH - 2 * MARGIN - stroke),
                "height": _n(self.y - top),
                "fill": "none",
                "stroke": "#000",
                "stroke-width": _n(stroke),
            }
        )


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
