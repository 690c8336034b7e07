"""Generated voucher codes: unique at scale, unguessable, and typo-resistant."""

import random
from collections import Counter
from itertools import pairwise

from bot.campaigns.codes import (
    ALPHABET,
    RANDOM_LENGTH,
    check_character,
    entropy_bits,
    generate,
    is_well_formed,
    normalize,
)


def test_a_million_codes_without_a_collision():
    codes = {generate("TKS-") for _ in range(1_000_000)}
    assert len(codes) == 1_000_000


def test_codes_are_prefix_random_part_and_check_character():
    code = generate("TKS-")
    assert code.startswith("TKS-") and len(code) == 4 + RANDOM_LENGTH + 1
    assert set(code[4:]) <= set(ALPHABET)
    assert is_well_formed(code, "TKS-")
    assert entropy_bits() == 50


def test_no_code_tells_anything_about_the_next():
    """Every position uses the whole alphabet evenly, and neighbouring codes share no more
    characters than chance: knowing one code gives no foothold on another."""
    codes = [generate() for _ in range(200_000)]
    for position in range(RANDOM_LENGTH):
        counts = Counter(code[position] for code in codes)
        assert set(counts) == set(ALPHABET)
        expected = len(codes) / len(ALPHABET)
        chi_square = sum((n - expected) ** 2 / expected for n in counts.values())
        assert chi_square < 80  # 31 degrees of freedom: p < 1e-7 beyond this
    same = sum(
        a == b
        for first, second in pairwise(codes)
        for a, b in zip(first[:RANDOM_LENGTH], second[:RANDOM_LENGTH], strict=True)
    )
    share = same / ((len(codes) - 1) * RANDOM_LENGTH)
    assert abs(share - 1 / 32) < 0.002


def test_one_mistyped_character_is_always_caught():
    rng = random.Random(7)
    for _ in range(2000):
        code = generate("X-")
        position = rng.randrange(2, len(code))
        wrong = rng.choice([c for c in ALPHABET if c != code[position]])
        typo = code[:position] + wrong + code[position + 1 :]
        assert not is_well_formed(typo, "X-")


def test_most_swapped_neighbours_are_caught():
    rng = random.Random(11)
    caught = total = 0
    for _ in range(5000):
        code = generate()
        i = rng.randrange(0, len(code) - 1)
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        total += 1
        caught += not is_well_formed(swapped, "")
    assert caught / total > 0.95


def test_people_may_type_codes_loosely():
    code = generate("TKS-")
    assert normalize(f"  {code.lower()} ") == code
    body = "0123456789"
    confusable = body.replace("0", "O").replace("1", "l") + check_character(body)
    assert is_well_formed(confusable, "")
    assert not is_well_formed("TKS-123", "TKS-")
    assert not is_well_formed(code, "OTHER-")
