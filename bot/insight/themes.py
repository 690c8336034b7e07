"""What customers' comments are about, counted on the spot: no hosted service, no model.

A comment becomes *terms*: lowercase words with their diacritics (Vietnamese "hàng" and
"hang" differ), without emoji, punctuation, numbers or stopwords. Known compounds are one
term ("giao hàng"), and a negation stays with the word it negates ("không tốt", "not
good"), so a theme never loses its "not". Punctuation, emoji and line breaks end a
clause; terms are only adjacent within one. Themes are the terms and, when adjacent terms
recur, the pairs. Markup someone typed or pasted (`<script>`, `<img src=...>`, `&amp;`) is
not words: tags are dropped and entities decoded before counting.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# A tag starts with a letter right after "<" (so "<3" and "a < b" stay text).
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9:-]*(?:\s[^<>]*)?/?>")
_CODE_ELEMENT = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining)
_OLD_STYLE_OA_OE = re.compile(f"o([{_TONES}])([ae])$")
_OLD_STYLE_UY = re.compile(f"u([{_TONES}])y$")
_NUMBERISH = re.compile(r"^\d+\w{0,2}$")  # 15, 10k, 2h, 100kg: amounts, not themes
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_JOINERS = frozenset("-\u2010\u2011'_")  # inside a word: treated as a space
_LINE_BREAKS = frozenset("\n\r\u2028\u2029")  # end a clause, like punctuation
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(?:s|re|ve|ll|d|m)\b"), ""),
)


@dataclass(frozen=True)
class Theme:
    phrase: str
    count: int  # comments that mention it (not occurrences)
    share: float  # percent of the (non-blank) comments
    examples: tuple[str, ...]  # up to 3 of the shortest comments that mention it


def tokenize(text: str, locale: str) -> list[str]:
    """The terms of `text` in reading order (see the module docstring)."""
    return [term for clause in _clauses(text, locale) for term in clause]


def themes(comments: Iterable[str], locale: str, top: int = 10, min_count: int = 2) -> list[Theme]:
    """The `top` themes of the comments: most mentioned first, then by phrase.

    Two adjacent terms seen together in at least `min_count` comments become a phrase
    ("hàng đẹp") that stands in for its single words there; a known compound or a negated
    term inside such a phrase is still counted on its own ("giao hàng" next to "giao hàng
    chậm"). Themes seen once are listed too when there is room.
    """
    if top < 0 or min_count < 1:
        raise ValueError(f"top must be >= 0 and min_count >= 1, got top={top}, {min_count=}")
    texts = [comment.strip() for comment in comments if comment and comment.strip()]
    parsed = [_clauses(text, locale) for text in texts]
    pair_counts = Counter(pair for clauses in parsed for pair in set(_pairs(clauses)))
    preferred = {pair for pair, count in pair_counts.items() if count >= min_count}
    mentions: dict[str, list[int]] = {}
    for index, clauses in enumerate(parsed):
        for phrase in _phrases(clauses, preferred):
            mentions.setdefault(phrase, []).append(index)
    ranked = sorted(mentions.items(), key=lambda item: (-len(item[1]), item[0]))[:top]
    return [
        Theme(phrase, len(found), 100 * len(found) / len(texts), _examples(texts, found))
        for phrase, found in ranked
    ]


def reason_counts(values: Iterable[str | None]) -> list[tuple[str, int]]:
    """Choice answers (option ids) by how often they were picked, most first, then by id;
    None (not answered) is left out."""
    counts = Counter(value for value in values if value is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _pairs(clauses: list[list[str]]) -> Iterator[tuple[str, str]]:
    for terms in clauses:
        yield from itertools.pairwise(terms)


def _phrases(clauses: list[list[str]], preferred: set[tuple[str, str]]) -> set[str]:
    """The themes one comment mentions: preferred pairs, and terms not inside one of them
    (multi-word terms always count)."""
    found: set[str] = set()
    for terms in clauses:
        covered = [False] * len(terms)
        for index, pair in enumerate(itertools.pairwise(terms)):
            if pair in preferred:
                found.add(" ".join(pair))
                for position in (index, index + 1):
                    if " " not in terms[position]:
                        covered[position] = True
        found.update(term for term, hidden in zip(terms, covered, strict=True) if not hidden)
    return found


def _examples(texts: list[str], indexes: list[int]) -> tuple[str, ...]:
    distinct = {texts[index] for index in indexes}
    return tuple(sorted(distinct, key=lambda text: (len(text), text))[:3])


def _language(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower()


def _clauses(text: str, locale: str) -> list[list[str]]:
    """The terms of each clause of `text`."""
    language = _language(locale)
    text = _TAG.sub("\n", _CODE_ELEMENT.sub("\n", html.unescape(text)))
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    if language == "en":
        folded = folded.translate(_APOSTROPHES)
        for pattern, replacement in _CONTRACTIONS:
            folded = pattern.sub(replacement, folded)
    stopwords = _STOPWORDS.get(language, frozenset())
    negations = _NEGATIONS.get(language, frozenset())
    clauses = []
    for clause in _plain(folded).split("\n"):
        words = [_word(word, language) for word in clause.split() if not _is_amount(word)]
        terms = [term for term in _merge_compounds(words, language) if term not in stopwords]
        clauses.append(_attach_negations(terms, negations))
    return [terms for terms in clauses if terms]


def _is_amount(word: str) -> bool:
    return word.isnumeric() or _NUMBERISH.match(word) is not None


def _plain(text: str) -> str:
    """Letters, digits and spaces only; a newline where punctuation or an emoji was."""
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LN":
            out.append(char)
        elif category[0] == "M":
            # A combining mark stays on a letter; on anything else it is part of an emoji
            # (variation selectors, keycaps).
            if out and unicodedata.category(out[-1])[0] in "LM":
                out.append(char)
        elif char in _LINE_BREAKS:
            out.append("\n")
        elif char.isspace() or char in _JOINERS:
            out.append(" ")
        elif category != "Cf":  # zero-width joiners and the like just vanish
            out.append("\n")
    return "".join(out)


def _word(word: str, language: str) -> str:
    if language != "vi":
        return word
    return _ALIASES_VI.get(word, _canonical_tone(word))


def _canonical_tone(word: str) -> str:
    """One spelling for words written two ways (hòa/hoà, khỏe/khoẻ, thủy/thuỷ): the tone
    mark goes where the newer rules put it, on the second vowel of a final oa, oe, uy."""
    decomposed = unicodedata.normalize("NFD", word)
    moved = _OLD_STYLE_UY.sub(r"uy\1", _OLD_STYLE_OA_OE.sub(r"o\2\1", decomposed))
    return unicodedata.normalize("NFC", moved) if moved != decomposed else word


def _merge_compounds(words: list[str], language: str) -> list[str]:
    compounds = _COMPOUNDS.get(language, {})
    longest = max(compounds, default=0)
    merged: list[str] = []
    index = 0
    while index < len(words):
        for size in range(min(longest, len(words) - index), 1, -1):
            candidate = " ".join(words[index : index + size])
            if candidate in compounds.get(size, frozenset()):
                merged.append(candidate)
                index += size
                break
        else:
            merged.append(words[index])
            index += 1
    return merged


def _attach_negations(terms: list[str], negations: frozenset[str]) -> list[str]:
    """Negations join the next term; one with nothing after it (in the clause) is dropped."""
    attached: list[str] = []
    pending: list[str] = []
    for term in terms:
        if term in negations:
            pending.append(term)
        else:
            attached.append(" ".join([*pending, term]))
            pending = []
    return attached


def _by_size(phrases: Iterable[str], language: str) -> dict[int, frozenset[str]]:
    words = [" ".join(_word(word, language) for word in phrase.split()) for phrase in phrases]
    words = [phrase for phrase in words if phrase]
    sizes = {len(phrase.split()) for phrase in words}
    return {size: frozenset(p for p in words if len(p.split()) == size) for size in sizes}


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATIONS = {
    "vi": frozenset({"không", "chưa", "chẳng", "chả", "đừng"}),
    "en": frozenset({"not", "no", "never"}),
}

# Ways of typing "không" in chat.
_ALIASES_VI = {"ko": "không", "k": "không", "hông": "không", "hok": "không", "khg": "không"}

_STOPWORDS = {
    "vi": _word_set(
        """
        và là của thì mà có được bị các những này đó kia ấy với cho để từ trong ở tại rồi
        nữa cũng đã đang sẽ vẫn rất quá lắm hơi khá thật nhưng hoặc nên vì do nếu khi thế
        vậy nào gì ai đâu tôi mình em anh chị bạn shop ạ nhé nha nhe ơi à ừ thôi luôn lại
        ra vào một cái chiếc nó họ chúng ta tui mk e a c ad như hơn nhất còn chỉ đều về
        theo bằng lúc thấy đến sự việc
        """
    ),
    "en": _word_set(
        """
        a an the and or but if then so of to in on at for with from by about as into it its
        this that these those is are was were be been being am do does did have has had i
        me my we our us you your he she him his her they them their very really too just
        also quite all any some there here what which who whom when where how would could
        should will can shall may might must got get one
        """
    ),
}

_COMPOUNDS = {
    "vi": _by_size(
        """
        giao hàng, chất lượng, nhân viên, đóng gói, sản phẩm, thái độ, hoàn tiền, đổi trả,
        thanh toán, khuyến mãi, vận chuyển, đơn hàng, khách hàng, chăm sóc, hỗ trợ, tư vấn,
        phản hồi, giá cả, bảo hành, hướng dẫn, màu sắc, kích thước, chất liệu, bao bì,
        mẫu mã, hàng hoá, hài lòng, thất vọng, tuyệt vời, nhiệt tình, thân thiện, chu đáo,
        cẩn thận, cẩu thả, nhanh chóng, chậm trễ, chính hãng, hàng giả, hư hỏng, móp méo,
        trả hàng, đặt hàng, mua hàng, nhận hàng, ứng dụng, trang web, mã giảm giá, giảm giá,
        miễn phí, tiền mặt, thời gian, dịch vụ, lần sau, ủng hộ, đáng tiền, đúng hẹn, trễ hẹn,
        tin nhắn, điện thoại, tài khoản, hoá đơn, bình thường, xuất sắc, dễ dàng, khó chịu,
        đầy đủ
        """.replace("\n", " ").split(","),
        "vi",
    ),
    "en": _by_size(
        [
            "customer service",
            "customer support",
            "gift card",
            "credit card",
            "tracking number",
            "delivery time",
            "return policy",
        ],
        "en",
    ),
}
