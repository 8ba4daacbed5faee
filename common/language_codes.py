"""Language codes: lid.176's labels normalised, and the CC-100 preset.

Output codes are ISO 639-1 where one exists, otherwise ISO 639-3 (or 639-5
for a collective), which is what lid.176 uses for most labels. lid.176 took
some labels from Wikipedia's subdomains instead; those are renamed:

  als -> gsw  (Wikipedia "als" is Alemannic; ISO "als" is Tosk Albanian)
  bh  -> bho  (bh.wikipedia.org is written in Bhojpuri; "bh" is a deprecated collective)
  sh  -> hbs  (Serbo-Croatian; "sh" is deprecated in ISO 639-1)
  eml -> egl  (Emilian-Romagnol; "eml" was retired and split into egl/rgn, the
               Wikipedia is mostly Emilian)

`nah` (Nahuatl, ISO 639-5 collective), `wuu`, `diq`, `vls`, ... are valid
codes and stay. GlotLID labels ("eng_Latn") are ISO 639-3 plus script by
design and are kept as they are.
"""

from __future__ import annotations

import difflib
import re

LID176_RENAMES = {"als": "gsw", "bh": "bho", "sh": "hbs", "eml": "egl"}

# The 176 labels of fastText lid.176 (bin and ftz), as printed by `fasttext labels`.
LID176_LABELS = frozenset(
    """af als am an ar arz as ast av az azb ba bar bcl be bg bh bn bo bpy br bs bxr ca cbk
    ce ceb ckb co cs cv cy da de diq dsb dty dv el eml en eo es et eu fa fi fr frr fy ga
    gd gl gn gom gu gv he hi hif hr hsb ht hu hy ia id ie ilo io is it ja jbo jv ka kk km
    kn ko krc ku kv kw ky la lb lez li lmo lo lrc lt lv mai mg mhr min mk ml mn mr mrj ms
    mt mwl my myv mzn nah nap nds ne new nl nn no oc or os pa pam pfl pl pms pnb ps pt qu
    rm ro ru rue sa sah sc scn sco sd sh si sk sl so sq sr su sv sw ta te tg th tk tl tr
    tt tyv ug uk ur uz vec vep vi vls vo wa war wuu xal xmf yi yo yue zh""".split()
)

# XLM-R's 100 languages (Conneau et al. 2020, Table 6) as 93 codes: its six
# romanised/Zawgyi variants (bn_rom, hi_rom, my_zaw, ta_rom, te_rom, ur_rom)
# and the zh-Hans/zh-Hant split are not labels of any LID model used here.
CC100_LANGUAGES = frozenset(
    """af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl
    gu ha he hi hr hu hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms
    my ne nl no om or pa pl ps pt ro ru sa sd si sk sl so sq sr su sv sw ta te th tl tr ug
    uk ur uz vi xh yi zh""".split()
)
# CC-100 languages that lid.176 cannot emit (XLM-R used an additional internal
# LID model); with GlotLID or another model they can be kept.
CC100_NOT_IN_LID176 = CC100_LANGUAGES - {LID176_RENAMES.get(x, x) for x in LID176_LABELS}

PRESETS = {"cc100": CC100_LANGUAGES}


def normalize_label(label: str) -> str:
    """`__label__als` -> `gsw`; GlotLID's `__label__eng_Latn` -> `eng_Latn`."""
    code = label.removeprefix("__label__")
    return LID176_RENAMES.get(code, code)


_CODE_SHAPE = re.compile(r"^[a-z]{2,3}(_[A-Z][a-z]{3})?$")  # ISO 639 code, or GlotLID's eng_Latn


def check_codes(values: list[str], lid176: bool) -> str | None:
    """None if every code named in `values` can be emitted, else a message on the first bad one.

    Presets are not checked: `cc100` holds ha, om and xh, which lid.176 lacks.
    """
    known = {LID176_RENAMES.get(x, x) for x in LID176_LABELS}
    for code in sorted(split_codes(values) - PRESETS.keys()):
        code = normalize_label(code)
        if not _CODE_SHAPE.match(code):
            return f"--languages: {code!r} is not a language code; expected e.g. de, zh, sw or eng_Latn"
        if lid176 and code not in known:
            close = difflib.get_close_matches(code, sorted(known), n=3)
            hint = f"; close: {', '.join(close)}" if close else ""
            return f"--languages: lid.176 never emits {code!r}{hint} (or pass --lid-model with a model that does)"
    return None


def split_codes(values: list[str]) -> set[str]:
    """Codes given space- or comma-separated ("de,fr sw" -> {"de", "fr", "sw"})."""
    return {item.strip() for value in values for item in value.split(",") if item.strip()}


def expand_languages(values: list[str]) -> frozenset[str]:
    """Codes and preset names (comma- or space-separated) -> a set of codes."""
    codes: set[str] = set()
    for item in split_codes(values):
        codes |= PRESETS.get(item, {normalize_label(item)})
    return frozenset(codes)
