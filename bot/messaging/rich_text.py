"""Telegram's HTML subset: check it, measure it, and turn it into plain text.

Message texts are written in this subset (`<b>`, `<i>`, `<a href>`...); variables are
escaped by the template engine. Telegram refuses a message whose markup it cannot parse,
so the flow checker and the channels use `html_problems` before anything is sent.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MESSAGE_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
POPUP_TEXT_LIMIT = 200  # answerCallbackQuery text: plain, no markup
BUTTON_LABEL_LIMIT = 64
CALLBACK_DATA_LIMIT = 64
BUTTONS_PER_KEYBOARD_LIMIT = 100
BUTTONS_PER_ROW_LIMIT = 8

ALLOWED_TAGS: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}


_BARE_LT = re.compile(r"<(?!/?[A-Za-z])")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = ALLOWED_TAGS.get(tag)
        if allowed is None:
            self.problems.append(f"<{tag}> is not supported by Telegram; use b, i, u, s, a, code")
            return
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"<{tag} {name}=...> is not supported by Telegram")
            if tag == "span" and name == "class" and value != "tg-spoiler":
                self.problems.append('only <span class="tg-spoiler"> is supported by Telegram')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"<{tag}/> is not supported by Telegram (no self-closing tags)")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            expected = f"</{self.stack[-1]}>" if self.stack else "no closing tag"
            self.problems.append(f"</{tag}> does not match the open tag (expected {expected})")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def html_problems(text: str) -> list[str]:
    """What Telegram would refuse in `text` sent with parse_mode=HTML (empty when fine)."""
    checker = _Checker()
    for position, char in enumerate(text):
        if char == "&" and not _is_entity(text, position):
            checker.problems.append(
                f"a bare '&' at character {position + 1}; write &amp; (variables are escaped "
                "for you)"
            )
            break
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.problems.append(f"<{checker.stack[-1]}> is never closed")
    if _BARE_LT.search(text):
        checker.problems.append("a bare '<' in the text; write &lt;")
    return checker.problems


def _is_entity(text: str, position: int) -> bool:
    end = text.find(";", position)
    if end == -1 or end - position > 10:
        return False
    name = text[position + 1 : end]
    if name in ("lt", "gt", "amp", "quot"):
        return True
    if name.startswith("#x"):
        return all(c in "0123456789abcdefABCDEF" for c in name[2:]) and len(name) > 2
    return name.startswith("#") and name[1:].isdigit()


def to_plain_text(text: str) -> str:
    """The visible text of an HTML message (for terminals, logs and length checks)."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return "".join(checker.visible)


class _PlainWriter(HTMLParser):
    """The visible text, with each link's address written after its words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[tuple[str, int]] = []  # (href, where its words start in `out`)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag != "a" or not self.links:
            return
        href, start = self.links.pop()
        words = "".join(self.out[start:]).strip()
        if href and words != href:
            self.out.append(f" ({href})" if words else href)

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def to_plain_with_links(text: str) -> str:
    """An HTML message for a channel without markup: bold and italics dropped, entities
    decoded, and links as text (`our shop (https://...)`), so no address is lost."""
    writer = _PlainWriter()
    writer.feed(text)
    writer.close()
    return "".join(writer.out)


def text_length(text: str) -> int:
    """Length as platforms count it at their strictest: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units of the visible text)."""
    return text_length(to_plain_text(text))


def escape(text: str) -> str:
    """Escape user-provided text for HTML parse mode."""
    return html.escape(text, quote=False)


def popup_text(text: str | None) -> str | None:
    """A phrase written for HTML messages as a button's pop-up shows it: plain text
    (`&amp;` back to `&`, no tags), cut to Telegram's 200 characters."""
    if not text:
        return None
    plain, _ = fit_message(to_plain_text(text), POPUP_TEXT_LIMIT)
    return plain


def fit_message(text: str, limit: int = MESSAGE_TEXT_LIMIT) -> tuple[str, bool]:
    """Return (text, is_html): the HTML as is when within `limit`, else shortened plain text.

    Cutting HTML could leave a tag open, so an over-long message loses its markup instead.
    """
    if visible_length(text) <= limit and not html_problems(text):
        return text, True
    plain = to_plain_text(text)
    if len(plain.encode("utf-16-le")) // 2 <= limit:
        return plain, False
    cut = plain[: limit - 1]
    while len(cut.encode("utf-16-le")) // 2 > limit - 1:
        cut = cut[:-1]
    return cut + "…", False
