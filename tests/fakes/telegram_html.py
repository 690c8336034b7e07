"""Telegram's HTML parse mode, as the fake Bot API server checks it.

`parse_html(markup)` returns the visible text and the message entities Telegram would
produce, or raises `HtmlParseError` with a tdlib-style message ("Unsupported start tag
"x" at byte offset N", "Unmatched end tag ...", "Can't find end tag corresponding to
start tag "b"" ...). Byte offsets are UTF-8 offsets into the markup; entity offsets and
lengths are UTF-16 code units, as in the Bot API.

With `strict=True` (the default) the parser is stricter than Telegram in two places, so
that a bot which forgets to escape user text fails loudly in tests:
- an `&` that does not start `&lt;`, `&gt;`, `&amp;`, `&quot;` or a numeric reference is an
  error (Telegram keeps it as a literal `&`);
- attributes other than the allowed ones (`a href`, `code class`, `span class`,
  `blockquote expandable`, `tg-emoji emoji-id`) are errors (Telegram ignores them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "code": {"class"},
    "span": {"class"},
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """The markup is not valid Telegram HTML; the message reads like Telegram's."""


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, Any]]


@dataclass
class _OpenTag:
    name: str
    offset: int
    attributes: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def parse_html(markup: str, *, strict: bool = True) -> ParsedText:
    return _HtmlParser(markup, strict).parse()


class _HtmlParser:
    def __init__(self, markup: str, strict: bool) -> None:
        self.src = markup
        self.strict = strict
        self.i = 0
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> ParsedText:
        src = self.src
        while self.i < len(src):
            ch = src[self.i]
            if ch == "&":
                self._emit(self._read_reference())
            elif ch != "<":
                self._emit(ch)
                self.i += 1
            elif src.startswith("</", self.i):
                self._close_tag()
            else:
                self._open_tag()
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        for entity in entities:
            entity.pop("_language", None)
        return ParsedText("".join(self.out), entities)

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.pos16 += utf16_len(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def _error(self, message: str, index: int) -> HtmlParseError:
        return HtmlParseError(f"{message} at byte offset {self._byte_offset(index)}")

    def _read_reference(self) -> str:
        """Decode `&...;` at self.i; an unknown one is a literal `&` (or an error if strict)."""
        decoded, end = decode_reference(self.src, self.i)
        if decoded is None:
            if self.strict:
                raise self._error('Unescaped "&" (write &amp;)', self.i)
            self.i += 1
            return "&"
        self.i = end
        return decoded

    def _skip_spaces(self) -> None:
        while self.i < len(self.src) and self.src[self.i].isspace():
            self.i += 1

    def _open_tag(self) -> None:
        src, begin = self.src, self.i
        self.i += 1
        while self.i < len(src) and not src[self.i].isspace() and src[self.i] != ">":
            self.i += 1
        if self.i >= len(src):
            raise self._error("Unclosed start tag", begin)
        name = src[begin + 1 : self.i].lower()
        if name not in ENTITY_TYPES:
            raise self._error(f'Unsupported start tag "{name}"', begin)
        tag = _OpenTag(name, self.pos16, self._read_attributes(name, begin))
        self.i += 1  # the '>'
        self._check_tag(tag, begin)
        self.stack.append(tag)

    def _read_attributes(self, tag_name: str, begin: int) -> dict[str, str]:
        src, attributes = self.src, dict[str, str]()
        while True:
            self._skip_spaces()
            if self.i >= len(src):
                raise self._error("Unclosed start tag", begin)
            if src[self.i] == ">":
                return attributes
            name_start = self.i
            while self.i < len(src) and not src[self.i].isspace() and src[self.i] not in "=>":
                self.i += 1
            name = src[name_start : self.i].lower()
            if not name:
                raise self._error(f'Empty attribute name in the tag "{tag_name}"', begin)
            if self.strict and name not in ALLOWED_ATTRIBUTES.get(tag_name, set()):
                raise self._error(f'Unsupported attribute "{name}" in the tag "{tag_name}"', begin)
            self._skip_spaces()
            if self.i < len(src) and src[self.i] == "=":
                self.i += 1
                self._skip_spaces()
                attributes[name] = self._read_attribute_value(begin)
            else:
                attributes[name] = ""

    def _read_attribute_value(self, begin: int) -> str:
        src = self.src
        if self.i >= len(src):
            raise self._error("Unclosed start tag", begin)
        quote = src[self.i]
        if quote not in "'\"":
            start = self.i
            while self.i < len(src) and (src[self.i].isalnum() or src[self.i] in ".-"):
                self.i += 1
            if self.i < len(src) and not src[self.i].isspace() and src[self.i] != ">":
                raise self._error("Unexpected end of name token", start)
            return src[start : self.i].lower()
        self.i += 1
        value: list[str] = []
        while self.i < len(src) and src[self.i] != quote:
            if src[self.i] == "&":
                value.append(self._read_reference())
            else:
                value.append(src[self.i])
                self.i += 1
        if self.i >= len(src):
            raise self._error("Unclosed start tag", begin)
        self.i += 1
        return "".join(value)

    def _check_tag(self, tag: _OpenTag, begin: int) -> None:
        attrs = tag.attributes
        if tag.name == "span" and attrs.get("class") != "tg-spoiler":
            raise self._error('Tag "span" must have class "tg-spoiler"', begin)
        if tag.name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self._error('Tag "tg-emoji" must have a numeric attribute "emoji-id"', begin)

    def _close_tag(self) -> None:
        src, begin = self.src, self.i
        self.i += 2
        name_start = self.i
        while self.i < len(src) and not src[self.i].isspace() and src[self.i] != ">":
            self.i += 1
        end_name = src[name_start : self.i].lower()
        self._skip_spaces()
        if self.i >= len(src) or src[self.i] != ">":
            raise self._error("Unclosed end tag", begin)
        if not self.stack:
            raise self._error("Unexpected end tag", begin)
        tag = self.stack.pop()
        if end_name and end_name != tag.name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        self.i += 1
        self._add_entity(tag)

    def _add_entity(self, tag: _OpenTag) -> None:
        length = self.pos16 - tag.offset
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": ENTITY_TYPES[tag.name], "offset": tag.offset}
        entity["length"] = length
        attrs = tag.attributes
        if tag.name == "a":
            if not attrs.get("href"):
                return
            entity["url"] = attrs["href"]
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = attrs["emoji-id"]
        elif tag.name == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "code" and attrs.get("class", "").startswith("language-"):
            entity["_language"] = attrs["class"].removeprefix("language-")
        elif tag.name == "pre":
            self._merge_code_into_pre(entity)
        self.entities.append(entity)

    def _merge_code_into_pre(self, pre: dict[str, Any]) -> None:
        """`<pre><code class="language-x">...</code></pre>` is one pre entity with a language."""
        if not self.entities:
            return
        last = self.entities[-1]
        same_span = last["offset"] == pre["offset"] and last["length"] == pre["length"]
        if last["type"] == "code" and same_span and last.get("_language"):
            self.entities.pop()
            pre["language"] = last["_language"]


def decode_reference(src: str, start: int) -> tuple[str | None, int]:
    """Decode the character reference at src[start] == '&' the way tdlib does.

    Returns (character, index after it) or (None, start) when it is not a reference
    Telegram understands. The trailing ';' is optional, as in tdlib.
    """
    end = start + 1
    if src.startswith("#", end):
        end += 1
        hexadecimal = src.startswith("x", end)
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        digits_start = end
        while end < len(src) and src[end] in digits:
            end += 1
        if end == digits_start or end - start >= 10:
            return None, start
        code = int(src[digits_start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None, start
        decoded = chr(code)
    else:
        while end < len(src) and src[end].isascii() and src[end].isalpha():
            end += 1
        named = NAMED_ENTITIES.get(src[start + 1 : end])
        if named is None:
            return None, start
        decoded = named
    if src.startswith(";", end):
        end += 1
    return decoded, end
