"""Voucher codes: shape, randomness source, lenient parsing, the check symbol's guarantees, environments apart."""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Callable, Iterator

import pytest

from domain.errors import NotFound
from domain.voucher_codes import ALPHABET, SANDBOX_PREFIX, generate, is_well_formed, parse

PRODUCTION_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
SANDBOX_SHAPE = re.compile(r"SBX-" + PRODUCTION_SHAPE.pattern)


def seeded_bytes(seed: int) -> Callable[[int], bytes]:
    """A reproducible stand-in for secrets.token_bytes."""
    generator = random.Random(seed)
    return generator.randbytes


def sample_codes(count: int, *, sandbox: bool, seed: int = 2024) -> list[str]:
    random_bytes = seeded_bytes(seed)
    return [generate(sandbox=sandbox, random_bytes=random_bytes) for _ in range(count)]


def symbols_of(code: str) -> list[str]:
    """The 12 code symbols (prefix and hyphens removed)."""
    return list(code.removeprefix(SANDBOX_PREFIX + "-").replace("-", ""))


def code_from(symbols: list[str], *, sandbox: bool) -> str:
    return (SANDBOX_PREFIX if sandbox else "") + "".join(symbols)


def test_alphabet_is_crockford_without_ambiguous_letters() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert set(ALPHABET) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize(("sandbox", "shape"), [(False, PRODUCTION_SHAPE), (True, SANDBOX_SHAPE)])
def test_generated_codes_have_the_display_shape(sandbox: bool, shape: re.Pattern[str]) -> None:
    for code in sample_codes(200, sandbox=sandbox):
        assert shape.fullmatch(code), code
        assert is_well_formed(code, sandbox=sandbox)
        assert parse(code, sandbox=sandbox) == code


def test_default_randomness_is_secrets_and_codes_differ() -> None:
    codes = {generate(sandbox=False) for _ in range(1_000)}
    assert len(codes) == 1_000


def test_random_source_is_asked_for_56_bits_and_all_55_used() -> None:
    requests: list[int] = []

    def counting(size: int) -> bytes:
        requests.append(size)
        return secrets.token_bytes(size)

    generate(sandbox=False, random_bytes=counting)
    assert requests == [7]
    # Flipping any one of the 55 used bits changes the code; the 56th (lowest) bit is the spare.
    base = int.from_bytes(bytes(range(1, 8)), "big")
    first = generate(sandbox=False, random_bytes=lambda size: base.to_bytes(size, "big"))
    for bit in range(1, 56):
        flipped = base ^ (1 << bit)
        assert generate(sandbox=False, random_bytes=flipped.to_bytes) != first, bit


def test_same_random_bytes_give_the_same_code() -> None:
    assert sample_codes(5, sandbox=False, seed=7) == sample_codes(5, sandbox=False, seed=7)


def test_a_short_random_source_is_refused() -> None:
    with pytest.raises(ValueError, match="returned 6 bytes"):
        generate(sandbox=False, random_bytes=lambda size: bytes(size - 1))


def test_production_never_generates_a_code_that_looks_sandboxed() -> None:
    s, b, x = (ALPHABET.index(letter) for letter in SANDBOX_PREFIX)
    looks_sandboxed = (((s << 50) | (b << 45) | (x << 40)) << 1).to_bytes(7, "big")
    draws: Iterator[bytes] = iter([looks_sandboxed, bytes(7)])
    code = generate(sandbox=False, random_bytes=lambda size: next(draws))
    assert code.startswith("0000-0000-000")
    # The sandbox has no such restriction: the same bytes give its body starting with SBX.
    assert generate(sandbox=True, random_bytes=lambda size: looks_sandboxed).startswith("SBX-SBX0-")


@pytest.mark.parametrize("sandbox", [False, True])
def test_parsing_is_lenient_about_case_separators_and_confusable_letters(sandbox: bool) -> None:
    for code in sample_codes(50, sandbox=sandbox, seed=11):
        compact = code.replace("-", "")
        confusable = compact.replace("0", "O").replace("1", "I")
        variants = [
            code.lower(),
            compact,
            " ".join(compact),
            f"  {code}\t",
            code.replace("-", " - "),
            confusable,
            confusable.lower().replace("i", "l"),
        ]
        for variant in variants:
            assert parse(variant, sandbox=sandbox) == code, variant


@pytest.mark.parametrize(
    "text",
    ["", "-", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKMU", "ABCD_EFGH_JKMN", "ÀBCD-EFGH-JKMN", "x" * 500],
)
def test_malformed_text_is_not_a_code(text: str) -> None:
    assert not is_well_formed(text, sandbox=False)
    assert not is_well_formed(text, sandbox=True)
    with pytest.raises(NotFound) as refused:
        parse(text, sandbox=False)
    assert refused.value.code == "not_found"


def test_non_ascii_lookalikes_are_refused() -> None:
    code = sample_codes(1, sandbox=False, seed=3)[0]
    with_one = next(candidate for candidate in sample_codes(200, sandbox=False, seed=5) if "1" in candidate)
    assert not is_well_formed(with_one.replace("1", "\u0131"), sandbox=False)  # dotless i upper-cases to I
    assert not is_well_formed(code.replace("-", "\u2011"), sandbox=False)  # non-breaking hyphen


@pytest.mark.parametrize("sandbox", [False, True])
def test_check_symbol_catches_every_single_substitution(sandbox: bool) -> None:
    for code in sample_codes(100, sandbox=sandbox, seed=42):
        symbols = symbols_of(code)
        for position, original in enumerate(symbols):
            for replacement in ALPHABET:
                if replacement == original:
                    continue
                mistyped = [*symbols[:position], replacement, *symbols[position + 1 :]]
                assert not is_well_formed(code_from(mistyped, sandbox=sandbox), sandbox=sandbox), (code, position)


@pytest.mark.parametrize("sandbox", [False, True])
def test_check_symbol_catches_every_transposition(sandbox: bool) -> None:
    for code in sample_codes(100, sandbox=sandbox, seed=43):
        symbols = symbols_of(code)
        for first in range(len(symbols)):
            for second in range(first + 1, len(symbols)):  # adjacent ones (second == first + 1) and jumps
                if symbols[first] == symbols[second]:
                    continue
                swapped = symbols.copy()
                swapped[first], swapped[second] = swapped[second], swapped[first]
                assert not is_well_formed(code_from(swapped, sandbox=sandbox), sandbox=sandbox), (code, first)


def test_sandbox_and_production_codes_never_cross() -> None:
    for code in sample_codes(300, sandbox=True, seed=8):
        assert not is_well_formed(code, sandbox=False)
        assert not is_well_formed(code.removeprefix("SBX-"), sandbox=False)  # stripping the prefix does not help
        with pytest.raises(NotFound):
            parse(code, sandbox=False)
    for code in sample_codes(300, sandbox=False, seed=9):
        assert not is_well_formed(code, sandbox=True)
        assert not is_well_formed("SBX-" + code, sandbox=True)  # nor does adding it
        with pytest.raises(NotFound):
            parse(code, sandbox=True)
