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


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" to a flag's help, except where there is no default to show
    (None, []): those flags' help says what happens instead."""

    def _get_help_string(self, action):
        if action.default is None or action.default == []:
            return action.help
        return super()._get_help_string(action)


# The checks the stage commands share.
positive_int = checked(int, lambda n: n > 0, "is not positive")
non_negative_int = checked(int, lambda n: n >= 0, "is negative")
positive_float = checked(float, lambda x: x > 0, "is not positive")
mask_probability = checked(float, lambda p: 0.0 < p < 1.0, "is outside (0, 1); BERT and XLM-R mask 0.15")
