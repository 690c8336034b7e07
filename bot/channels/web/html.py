"""Telegram-style message HTML made safe for a web page.

Message texts are written for Telegram's HTML parse mode (b, i, u, s, code, pre,
blockquote, a). On the web only those tags survive, links only to http(s) and tg:, and
everything else is escaped, so a template or a quoted customer can never inject markup."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from markupsafe import Markup

_KEPT = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote"}
_SAFE_SCHEMES = ("http://", "https://", "tg://")


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, str]] = []  # (tag in the source, tag written)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _KEPT:
            self._push(tag, tag, f"<{tag}>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(_SAFE_SCHEMES):
                self._push(tag, "a", f'<a href="{escape(href)}" rel="noopener noreferrer">')
            else:
                self._push(tag, "span", "<span>")
        elif tag in ("span", "tg-spoiler"):
            self._push(tag, "span", "<span>")

    def _push(self, source: str, written: str, markup: str) -> None:
        self.out.append(markup)
        self.open.append((source, written))

    def handle_endtag(self, tag: str) -> None:
        if not any(source == tag for source, _ in self.open):
            return
        while self.open:
            source, written = self.open.pop()
            self.out.append(f"</{written}>")
            if source == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False).replace("\n", "<br>"))


def to_web_html(text: str) -> Markup:
    parser = _Sanitizer()
    parser.feed(text)
    parser.close()
    closing = "".join(f"</{written}>" for _, written in reversed(parser.open))
    return Markup("".join(parser.out) + closing)  # built only from escaped parts
