"""Voucher codes: random, unguessable, easy to read aloud and type, and checkable without a lookup.

Shape. A code is 12 symbols of Crockford's base-32 alphabet (digits and capitals without I, L, O, U):
11 random symbols (55 bits from `secrets`) and one check symbol. It is shown in groups of four,
`7KQM-2XHD-9PTA`. Sandbox codes carry the visible prefix `SBX-` (`SBX-7KQM-2XHD-9PTA`); no production
code ever starts with "SBX", so whatever starts with SBX is a sandbox code and is refused in production,
and a code without the prefix is refused in the sandbox.

Leniency. Parsing ignores case, hyphens and whitespace, and reads the letters people type for digits
as those digits: O as 0, I and L as 1 (Crockford's own rule). U stays invalid.

Check symbol. Symbols are read as elements of the field GF(32) (polynomial x^5 + x^2 + 1, generator
alpha = x). A valid production code d_0 .. d_11 satisfies  sum(alpha^(11 - i) * d_i) = 0  (GF(32) addition
is XOR). The weights alpha^0 .. alpha^11 are distinct and non-zero and the field has no zero divisors, so
- changing one symbol a -> b changes the sum by alpha^k * (a + b), never zero: every single substitution
  is caught;
- swapping two different symbols a, b at positions j and k changes it by (alpha^j + alpha^k) * (a + b),
  never zero: every transposition is caught, adjacent or not, including one with the check symbol.
A sandbox code's sum is 1 instead of 0, so stripping the prefix off a sandbox code, or putting it in front
of a production code, never gives a well-formed code of the other environment. (Running the sum over the
letters S, B, X instead would not do: their own weighted sum happens to be 0.)
Crockford's own mod-37 check symbol would need five extra symbols (*~$=U) that are hard to read aloud.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from domain.errors import NotFound

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: symbol value = index. No I, L, O (read as 1, 1, 0) and no U."""

SANDBOX_PREFIX = "SBX"
CODE_LENGTH = 12
"""Symbols in a code, the check symbol included (the sandbox prefix excluded)."""
RANDOM_SYMBOLS = CODE_LENGTH - 1
GROUP_SIZE = 4
SEPARATOR = "-"

_BITS_PER_SYMBOL = 5
_RANDOM_BITS = RANDOM_SYMBOLS * _BITS_PER_SYMBOL  # 55
_RANDOM_BYTES = (_RANDOM_BITS + 7) // 8  # 7 bytes = 56 bits; the spare bit is dropped
_FIELD_POLYNOMIAL = 0b100101  # x^5 + x^2 + 1, primitive: alpha = x has order 31
_LONGEST_INPUT = 64  # anything longer is not a code, however many separators it has

_VALUE_OF = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})

RandomBytes = Callable[[int], bytes]


def generate(*, sandbox: bool, random_bytes: RandomBytes = secrets.token_bytes) -> str:
    """A fresh code in its display form (`ABCD-EFGH-JKMN`, or `SBX-ABCD-EFGH-JKMN` in the sandbox).

    `random_bytes(n)` must return n unpredictable bytes; tests inject a deterministic source.
    Uniqueness is the database's job (a UNIQUE constraint and a retry): 55 random bits make a
    collision rare, not impossible.
    """
    while True:
        values = _random_values(random_bytes)
        check = _check_value(values, _target_syndrome(sandbox))
        body = "".join(ALPHABET[value] for value in values) + ALPHABET[check]
        # Redraw the 1-in-32768 production code that would look like a sandbox one.
        if sandbox or not body.startswith(SANDBOX_PREFIX):
            return _display(body, sandbox=sandbox)


def parse(text: str, *, sandbox: bool) -> str:
    """The code's display form if `text` is a well-formed code of this environment, else NotFound.

    Not found rather than invalid: to a partner, a mistyped code, a code of the other environment
    and an unknown code are the same thing, a code that does not exist here.
    """
    body = _well_formed_body(text, sandbox=sandbox)
    if body is None:
        raise NotFound("No voucher has this code.")
    return _display(body, sandbox=sandbox)


def is_well_formed(text: str, *, sandbox: bool) -> bool:
    """True if `text` reads as a code of this environment whose check symbol is right; no lookup involved."""
    return _well_formed_body(text, sandbox=sandbox) is not None


def _well_formed_body(text: str, *, sandbox: bool) -> str | None:
    """The 12 canonical symbols of `text` if it is a well-formed code of this environment, else None."""
    if len(text) > _LONGEST_INPUT or not text.isascii():
        # isascii first: str.upper() would turn the Turkish dotless i (U+0131) into "I", which then reads as a 1.
        return None
    compact = "".join(text.split()).replace(SEPARATOR, "").upper().translate(_READ_AS)
    has_prefix = compact.startswith(SANDBOX_PREFIX)
    if has_prefix != sandbox:
        return None
    body = compact[len(SANDBOX_PREFIX) :] if sandbox else compact
    if len(body) != CODE_LENGTH or any(symbol not in _VALUE_OF for symbol in body):
        return None
    if _syndrome([_VALUE_OF[symbol] for symbol in body]) != _target_syndrome(sandbox):
        return None
    return body


def _display(body: str, *, sandbox: bool) -> str:
    """`body` cut into groups of four, behind the sandbox prefix when in the sandbox."""
    groups = [body[start : start + GROUP_SIZE] for start in range(0, len(body), GROUP_SIZE)]
    if sandbox:
        groups.insert(0, SANDBOX_PREFIX)
    return SEPARATOR.join(groups)


def _random_values(random_bytes: RandomBytes) -> list[int]:
    """Eleven symbol values from 55 fresh random bits."""
    raw = random_bytes(_RANDOM_BYTES)
    if len(raw) != _RANDOM_BYTES:
        raise ValueError(f"random_bytes({_RANDOM_BYTES}) returned {len(raw)} bytes.")
    number = int.from_bytes(raw, "big") >> (_RANDOM_BYTES * 8 - _RANDOM_BITS)
    shifts = range(_RANDOM_BITS - _BITS_PER_SYMBOL, -1, -_BITS_PER_SYMBOL)
    return [(number >> shift) & (len(ALPHABET) - 1) for shift in shifts]


def _target_syndrome(sandbox: bool) -> int:
    """The weighted sum a well-formed code of this environment has: 0 in production, 1 in the sandbox."""
    return 1 if sandbox else 0


def _times_alpha(value: int) -> int:
    """`value` multiplied by alpha in GF(32)."""
    value <<= 1
    if value & len(ALPHABET):
        value ^= _FIELD_POLYNOMIAL
    return value


def _syndrome(values: Sequence[int]) -> int:
    """sum(alpha^(n - 1 - i) * values[i]) in GF(32), by Horner's rule (addition in GF(32) is XOR)."""
    total = 0
    for value in values:
        total = _times_alpha(total) ^ value
    return total


def _check_value(values: Sequence[int], target: int) -> int:
    """The check symbol's value c that makes the syndrome of `values + [c]` equal `target`."""
    # syndrome(values + [c]) = alpha * syndrome(values) + c, and + is its own inverse (XOR).
    return _times_alpha(_syndrome(values)) ^ target
