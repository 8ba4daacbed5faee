"""argparse types that name what is wrong and what would be right, shared by every CLI."""

from __future__ import annotations

import argparse


def checked(convert, ok, problem: str):
    """An argparse type: `convert`, then reject values failing `ok` with "<value> <problem>"."""

    def parse(value: str):
        number = convert(value)
        if not ok(number):
            raise argparse.ArgumentTypeError(f"{value} {problem}")
        return number

    parse.__name__ = convert.__name__  # argparse names it in "invalid int value"
    return parse
