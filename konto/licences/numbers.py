"""Licence numbers: the vendor's format, with a check character. No Flask here.

A number is 15 characters, shown in three groups of five: `SPK7M-3Q9XT-4WH2J`.
* 2 letters: the program's prefix from the catalogue (SP, KS…);
* 12 random characters from an alphabet without look-alikes (no 0, 1, I, L, O);
* 1 check character, ISO 7064 MOD 37-2 over the first 14 (python-stdnum): a pure system
  with a prime modulus, so it catches every single wrong character and every swap of two
  neighbours (the hybrid MOD 37,36 misses some swaps). Its 37th symbol, "*", is never
  issued: a body whose check would be "*" is drawn again, and "*" is not accepted.

Typed numbers are read in any case, with or without spaces and dashes.
"""

import re
import secrets

from stdnum.iso7064 import mod_37_2

BODY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_LENGTH = 12
LENGTH = 2 + RANDOM_LENGTH + 1
MAX_INPUT_LENGTH = 40
_SHAPE = re.compile(r"^[A-Z]{2}[0-9A-Z]{13}$")
_SEPARATORS = re.compile(r"[\s\-]+")


class InvalidNumber(ValueError):
    """The text is not a licence number; the message says why, in Polish."""


def generate(prefix):
    """A new random number for a program with this two-letter prefix."""
    if not re.fullmatch(r"[A-Z]{2}", prefix or ""):
        raise ValueError(f"bad licence prefix {prefix!r}")
    while True:
        body = prefix + "".join(secrets.choice(BODY_ALPHABET) for _ in range(RANDOM_LENGTH))
        check = mod_37_2.calc_check_digit(body)
        if check != "*":
            return body + check


def normalize(text):
    return _SEPARATORS.sub("", (text or "").strip()).upper()


def parse(text):
    """The canonical number (15 characters, no dashes) or InvalidNumber with the reason."""
    if not text or not text.strip():
        raise InvalidNumber("Podaj numer licencji.")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidNumber("Numer licencji jest za długi: ma 15 znaków, np. SPK7M-3Q9XT-4WH2J.")
    number = normalize(text)
    if len(number) != LENGTH:
        raise InvalidNumber("Numer licencji ma 15 znaków (litery i cyfry), np. SPK7M-3Q9XT-4WH2J.")
    if not _SHAPE.match(number):
        raise InvalidNumber("Numer licencji zaczyna się od dwóch liter i zawiera tylko litery i cyfry.")
    if not mod_37_2.is_valid(number):
        raise InvalidNumber(
            "Ten numer licencji ma błąd (nie zgadza się znak kontrolny). Sprawdź, czy żaden znak nie jest pomylony."
        )
    return number


def is_valid(text):
    try:
        parse(text)
    except InvalidNumber:
        return False
    return True


def display(number):
    """SPK7M-3Q9XT-4WH2J."""
    return "-".join(number[i : i + 5] for i in range(0, len(number), 5))


def masked(number, visible=4):
    """All but the last characters hidden: •••••-•••••-•WH2J."""
    hidden = "•" * (len(number) - visible) + number[-visible:]
    return display(hidden)
