"""argparse types that name what is wrong and what would be right, and the help formatter
that shows each flag's default: one set, shared by every command."""

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


class UsageError(ValueError):
    """Something the user gave (a flag, a side file, an output directory) cannot be used; the
    message names it and what would be right. Commands print it without a traceback; any
    other exception is a bug and keeps its traceback."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" to a flag's help, except where there is no default to show
    (None, []): those flags' help says what happens instead. Descriptions and epilogs
    keep their line breaks (examples, layouts)."""

    def _get_help_string(self, action):
        if action.default is None or action.default == []:
            return action.help
        return super()._get_help_string(action)


def help_text(action: argparse.Action) -> str:
    """A flag's help as --help prints it, default included (for help generated elsewhere:
    the Dataflow template's metadata)."""
    return HelpFormatter("")._expand_help(action)


# The checks more than one flag shares; a check that belongs to one flag lives beside it.
positive_int = checked(int, lambda n: n > 0, "is not a positive integer")
non_negative_int = checked(int, lambda n: n >= 0, "is negative; expected 0 or more")
positive_float = checked(float, lambda x: x > 0, "is not positive")
non_negative_float = checked(float, lambda x: x >= 0, "is negative; expected 0 or more")
mask_probability = checked(float, lambda p: 0.0 < p < 1.0, "is outside (0, 1); BERT and XLM-R mask 0.15")
alpha = checked(float, lambda a: 0.0 <= a <= 1.0,
                "is outside [0, 1]; XLM-R uses 0.3 (1 = proportional, 0 = uniform)")
