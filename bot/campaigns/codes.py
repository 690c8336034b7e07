"""Voucher codes people can read aloud and type: a prefix, random characters, a check one.

The random part comes from the operating system's CSPRNG (`secrets`), in Crockford's base
32 (no I, L, O, U: nothing to confuse with 1, 0 or V), 10 characters = 50 bits: one code
tells nothing about another, and guessing one is hopeless. The last character is a Luhn
mod 32 check character (letters and digits only, easy to read out at a till): any single
mistyped character, and most swapped neighbours, are caught before the database is asked.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
RANDOM_LENGTH = 10
_VALUES = {char: index for index, char in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def entropy_bits(length: int = RANDOM_LENGTH) -> float:
    return length * 5.0


def check_character(body: str) -> str:
    """The Luhn mod N (N = 32) check character of the random part."""
    base = len(ALPHABET)
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * _VALUES[char]
        total += addend // base + addend % base
        factor = 3 - factor  # 2, 1, 2, 1... from the right
    return ALPHABET[(base - total % base) % base]


def generate(prefix: str = "", length: int = RANDOM_LENGTH) -> str:
    number = secrets.randbits(5 * length)  # 5 bits a character, all from the CSPRNG
    body = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(length))
    return f"{prefix}{body}{check_character(body)}"


def normalize(code: str) -> str:
    """What a person typed, as stored: upper case, no spaces. (Pool codes are the shop's
    own, so letters are not re-read as digits here; `is_well_formed` does that for ours.)"""
    return code.strip().upper().replace(" ", "")


def is_well_formed(code: str, prefix: str, length: int = RANDOM_LENGTH) -> bool:
    """Whether a generated code could be ours (right prefix, alphabet and check character)."""
    code = normalize(code)
    if not code.startswith(prefix):
        return False
    rest = code[len(prefix) :].translate(_READ_AS)
    body, check = rest[:-1], rest[-1:]
    if len(body) != length or any(char not in _VALUES for char in body):
        return False
    return check == check_character(body)
