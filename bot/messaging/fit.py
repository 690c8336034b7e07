"""One outgoing message made to fit a channel: what its capabilities say it can show.

Pure: a message and a channel's capabilities in, the messages to send out (docs/channels.md).

- Choices: rows wider than the channel allows are re-flowed. When there are more choices
  than it allows (skip and stop count), a scale is shown as bands labelled with their range
  (`0–3`, `4–6`, `7–8`, `9–10`): NARROW choices, whose value names the range, and tapping
  one asks for the exact score (bot.surveys.narrowing). A 0–10 scale is banded along the
  NPS categories (0–6, 7–8, 9–10), split further only as far as the channel allows; a band
  with more scores than the channel's buttons is banded again when narrowed. With room for
  fewer than two bands, and for options that are not a scale, the buttons give way to the
  text: options are listed numbered, and the customer types a number (always accepted).
- Labels longer than the channel allows are shortened with "…".
- Text: a channel without markup gets plain text (links written out). A text longer than
  the channel allows is split at paragraphs, then lines, then words, into several
  messages; the choices go with the last. A message that replaces an earlier one is
  shortened instead (one message is edited), and dropped where the channel cannot edit.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.messaging.capabilities import ChannelCapabilities, Markup
from bot.messaging.message import Choice, ChoiceAction, ChoiceRows, OutgoingMessage
from bot.messaging.rich_text import (
    escape,
    html_problems,
    text_length,
    to_plain_text,
    to_plain_with_links,
    visible_length,
)

NPS_SCALE = (0, 10)
NPS_CATEGORIES = ((0, 6), (7, 8), (9, 10))  # detractors, passives, promoters
_BAND = re.compile(r"^(\d{1,3})-(\d{1,3})$")
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
_ANSWERS = (ChoiceAction.ANSWER, ChoiceAction.NARROW)


@dataclass(frozen=True)
class FitWording:
    """What fitting adds to a question, in the customer's language (Presenter.fit)."""

    bands: Callable[[int, int], str]  # bands shown: tap one, or type a number low..high
    type_number: Callable[[int, int], str]  # no room for buttons: type a number low..high
    type_option: Callable[[int], str]  # options listed: type the number of yours (1..n)


def fit(
    message: OutgoingMessage, capabilities: ChannelCapabilities, wording: FitWording
) -> tuple[OutgoingMessage, ...]:
    """The messages that show `message` on a channel with these capabilities, in order
    (none: a replacement where edits are impossible). A message that fits goes as written."""
    if already_fits(message, capabilities):
        return (message,)
    if message.replaces is not None and not capabilities.can_edit:
        return ()
    fitted = _fit_choices(message, capabilities, wording)
    fitted = fitted.with_choices(_shorten_labels(fitted.choices, capabilities.max_label_length))
    text = fitted.text
    if capabilities.markup == Markup.PLAIN:
        text = to_plain_with_links(text)
    first_limit = (
        capabilities.max_caption_length
        if fitted.photo is not None
        else capabilities.max_text_length
    )
    if fitted.replaces is not None:
        texts = [shorten(text, first_limit, capabilities.markup)]
    else:
        texts = split_text(text, capabilities.max_text_length, capabilities.markup, first_limit)
    return _parts(fitted, texts)


def already_fits(message: OutgoingMessage, capabilities: ChannelCapabilities) -> bool:
    """Whether the channel can show `message` exactly as it is."""
    if message.replaces is not None and not capabilities.can_edit:
        return False
    if capabilities.markup != Markup.TELEGRAM_HTML and ("<" in message.text or "&" in message.text):
        return False  # markup or entities to convert
    if message.choice_count > capabilities.max_choices_per_message:
        return False
    rows = message.choices
    if any(len(row) > capabilities.max_choices_per_row for row in rows):
        return False
    if any(len(c.label) > capabilities.max_label_length for row in rows for c in row):
        return False
    limit = capabilities.max_caption_length if message.photo else capabilities.max_text_length
    return visible_length(message.text) <= limit


# ---- choices ---------------------------------------------------------------------------


def _fit_choices(
    message: OutgoingMessage, capabilities: ChannelCapabilities, wording: FitWording
) -> OutgoingMessage:
    rows = message.choices
    most, per_row = capabilities.max_choices_per_message, capabilities.max_choices_per_row
    if message.choice_count <= most and all(len(row) <= per_row for row in rows):
        return message
    answer_rows = _only(rows, lambda c: c.action in _ANSWERS)
    fixed = [c for row in _only(rows, lambda c: c.action not in _ANSWERS) for c in row][:most]
    answers = [c for row in answer_rows for c in row]
    room = most - len(fixed)
    fixed_rows = _reflow((tuple(fixed),), per_row)
    if len(answers) <= room:
        return message.with_choices(_reflow(answer_rows, per_row) + fixed_rows)
    scale = scale_of(answers)
    if scale is not None and room >= 2:
        bands = tuple(band_choice(low, high) for low, high in score_bands(*scale, room))
        text = _with_line(message.text, wording.bands(*scale))
        return replace(message, text=text, choices=_reflow((bands,), per_row) + fixed_rows)
    if scale is not None:
        text = _with_line(message.text, wording.type_number(*scale))
    else:
        listed = "\n".join(f"{n}. {escape(c.label)}" for n, c in enumerate(answers, 1))
        text = _with_line(_with_line(message.text, listed), wording.type_option(len(answers)))
    return replace(message, text=text, choices=fixed_rows)


def _only(rows: ChoiceRows, keep: Callable[[Choice], bool]) -> ChoiceRows:
    kept = (tuple(c for c in row if keep(c)) for row in rows)
    return tuple(row for row in kept if row)


def _reflow(rows: ChoiceRows, per_row: int) -> ChoiceRows:
    """Each row cut into rows of at most `per_row` (the rows' order and grouping kept)."""
    return tuple(
        row[start : start + per_row] for row in rows if row for start in range(0, len(row), per_row)
    )


def _with_line(text: str, line: str) -> str:
    return f"{text}\n\n{line}" if text and line else text or line


def scale_of(choices: Sequence[Choice]) -> tuple[int, int] | None:
    """(low, high) when the choices are a scale's scores in order, each labelled with its
    number (what the presenter draws for CSAT, NPS and CES); None for options."""
    if not choices or any(c.action != ChoiceAction.ANSWER for c in choices):
        return None
    if any(not (c.value.isascii() and c.value.isdecimal()) or c.label != c.value for c in choices):
        return None
    values = [int(c.value) for c in choices]
    if values != list(range(values[0], values[0] + len(values))):
        return None
    return values[0], values[-1]


def score_bands(low: int, high: int, slots: int) -> list[tuple[int, int]]:
    """At most `slots` (>= 2) consecutive bands covering low..high: along the NPS
    categories for a 0–10 scale, each then split evenly (larger pieces first) into the
    slots it gets, the most crowded band getting the next slot."""
    groups = list(NPS_CATEGORIES) if (low, high) == NPS_SCALE else [(low, high)]
    while len(groups) > slots:  # fewer slots than categories: join the smallest neighbours
        pair = min(range(len(groups) - 1), key=lambda i: groups[i + 1][1] - groups[i][0])
        groups[pair : pair + 2] = [(groups[pair][0], groups[pair + 1][1])]
    sizes = [high_ - low_ + 1 for low_, high_ in groups]
    shares = [1] * len(groups)
    for _ in range(slots - len(groups)):
        crowded = [i for i in range(len(groups)) if sizes[i] > shares[i]]
        if not crowded:
            break
        busiest = max(crowded, key=lambda i: sizes[i] / shares[i])
        shares[busiest] += 1
    return [
        band for group, share in zip(groups, shares, strict=True) for band in _even(*group, share)
    ]


def _even(low: int, high: int, pieces: int) -> list[tuple[int, int]]:
    size, extra = divmod(high - low + 1, pieces)
    bands, start = [], low
    for index in range(pieces):
        end = start + size + (1 if index < extra else 0) - 1
        bands.append((start, end))
        start = end + 1
    return bands


def band_choice(low: int, high: int) -> Choice:
    """A band's button: its range with an en dash; a band of one score answers at once."""
    if low == high:
        return Choice(str(low), ChoiceAction.ANSWER, str(low))
    return Choice(f"{low}–{high}", ChoiceAction.NARROW, f"{low}-{high}")


def parse_band(value: str) -> tuple[int, int] | None:
    """The range a NARROW choice's value names ("7-8"), or None for anything else."""
    match = _BAND.match(value)
    if match is None:
        return None
    low, high = int(match.group(1)), int(match.group(2))
    return (low, high) if low < high else None


def _shorten_labels(rows: ChoiceRows, limit: int) -> ChoiceRows:
    return tuple(
        tuple(c if len(c.label) <= limit else replace(c, label=_cut(c.label, limit)) for c in row)
        for row in rows
    )


def _cut(text: str, limit: int) -> str:
    return text[: limit - 1].rstrip() + "…"


# ---- text ------------------------------------------------------------------------------


def _measure(markup: Markup) -> Callable[[str], int]:
    return visible_length if markup == Markup.TELEGRAM_HTML else text_length


def shorten(text: str, limit: int, markup: Markup) -> str:
    """`text` within `limit`, cut with "…" when longer (an HTML text then loses its
    markup, since a cut could leave a tag open)."""
    if _measure(markup)(text) <= limit:
        return text
    plain = to_plain_text(text) if markup == Markup.TELEGRAM_HTML else text
    cut = plain[: limit - 1]
    while text_length(cut) > limit - 1:
        cut = cut[:-1]
    shortened = cut.rstrip() + "…"
    return escape(shortened) if markup == Markup.TELEGRAM_HTML else shortened


def split_text(text: str, limit: int, markup: Markup, first_limit: int | None = None) -> list[str]:
    """`text` in parts of at most `limit` (the first at most `first_limit`), cut at a
    paragraph, else a line, else a word. An HTML text whose tags a cut would break is
    split as plain text instead (escaped, so it stays valid HTML)."""
    first_limit = first_limit or limit
    if _measure(markup)(text) <= first_limit:
        return [text]
    if markup == Markup.PLAIN:
        return _split(text, limit, first_limit, text_length)
    parts = _split(text, limit, first_limit, _quick_visible_length)
    limits = [first_limit] + [limit] * (len(parts) - 1)
    if any(html_problems(p) or visible_length(p) > n for p, n in zip(parts, limits, strict=True)):
        plain = _split(to_plain_text(text), limit, first_limit, text_length)
        parts = [escape(part) for part in plain]
    return parts


def _quick_visible_length(text: str) -> int:
    """visible_length for valid markup, without a parser (splitting measures many
    prefixes); each part is then checked with the parser."""
    return text_length(html.unescape(_TAG.sub("", text)))


def _split(text: str, limit: int, first_limit: int, measure: Callable[[str], int]) -> list[str]:
    parts: list[str] = []
    rest = text
    while measure(rest) > (first_limit if not parts else limit):
        cut = _cut_at(rest, first_limit if not parts else limit, measure)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if not parts:
        return [rest]
    return [*parts, rest.rstrip()] if rest.strip() else parts


def _cut_at(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """Where to cut `text` so the part before fits `limit`: the last paragraph break that
    fits, else the last line break, else the last space, else as many characters as fit."""
    for separator in ("\n\n", "\n", " "):
        positions = [m.start() for m in re.finditer(re.escape(separator), text) if m.start() > 0]
        fitting = _last_fitting(positions, text, limit, measure)
        if fitting is not None:
            return fitting
    fitting = _last_fitting(list(range(1, len(text))), text, limit, measure)
    return fitting if fitting is not None else 1


def _last_fitting(
    positions: list[int], text: str, limit: int, measure: Callable[[str], int]
) -> int | None:
    """The last of `positions` (ascending) whose prefix fits (prefixes grow with them)."""
    low, high, found = 0, len(positions) - 1, None
    while low <= high:
        middle = (low + high) // 2
        if measure(text[: positions[middle]].rstrip()) <= limit:
            found, low = positions[middle], middle + 1
        else:
            high = middle - 1
    return found


def _parts(message: OutgoingMessage, texts: list[str]) -> tuple[OutgoingMessage, ...]:
    """The message in len(texts) parts: the photo and the thread with the first, the
    choices, the link and the invitations with the last."""
    if len(texts) == 1:
        return (replace(message, text=texts[0]),)
    first = replace(message, text=texts[0], choices=(), link=None, invitations=())
    middle = [
        replace(
            message, text=text, choices=(), photo=None, link=None, reply_to=None, invitations=()
        )
        for text in texts[1:-1]
    ]
    last = replace(message, text=texts[-1], photo=None, reply_to=None)
    return (first, *middle, last)
