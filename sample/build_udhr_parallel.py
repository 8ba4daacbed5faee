"""Build evaluation/data/udhr_parallel.jsonl.gz, the UDHR aligned paragraph by paragraph.

Reads the plain-text Universal Declaration of Human Rights of the read-only
test-data folder (``shared/data/lid/udhr``, see its PROVENANCE.md), takes one
file for each of XLM-R's CC-100 languages (which include every language of
the sample corpus) and aligns its paragraphs to the 60 English ones with
Gale & Church (sample/paragraph_align.py one_to_one: confident 1-1
beads only). A language with fewer than MIN_ALIGNED paired paragraphs is
dropped. One JSON object a line, sorted by language code, English (all 60
paragraphs) among them:

    {"lang": "de", "file": "deu.txt", "bcp47": "de-1996", "name": "German, Standard (1996)",
     "paragraphs": [text, or null where English paragraph i has no 1-1 match, ...]}

The gzip header carries no name and mtime 0, so a rerun gives a byte-identical file.

    python sample/build_udhr_parallel.py --shared ../shared/data
"""

import argparse
import csv
import gzip
import hashlib
import json
from pathlib import Path

from paragraph_align import one_to_one  # sample/paragraph_align.py, beside this script

from xlmr.common.language_codes import CC100_LANGUAGES

REPO_ROOT = Path(__file__).resolve().parent.parent
UDHR_DIR = "lid/udhr"
OUTPUT = REPO_ROOT / "evaluation" / "data" / "udhr_parallel.jsonl.gz"
ENGLISH_FILE = "eng.txt"
MIN_ALIGNED = 45
# English lines 7 and 8 are the first words of one sentence ("Now, therefore, /
# The General Assembly / Proclaims this ..."), which translations break at
# other words ("L'ASSEMBLEA GENERALE / proclama / la presente dichiarazione",
# "proklamerer / PLENARFORSAMLINGEN / derfor nu denne"): a 1-1 bead there is
# seldom a translation, so these lines are never paired.
SENTENCE_FRAGMENTS = ("Now, therefore,", "The General Assembly")
# Lines that align but do not translate their English line: errors in the source.
SOURCE_ERRORS = {
    # Article 13(2) is missing; this line says article 14(2) a second time.
    ("npi.txt",
     "Everyone has the right to leave any country, including his own, and to return to his country."),
}

# Where the UDHR's BCP-47 tag does not name the file to use: macrolanguage
# codes the data files under an individual language, or a language with
# several scripts, orthographies or varieties. The choice is the standard,
# most-written form (CC-100 is web text).
CHOSEN_FILES = {
    "no": "nob.txt",  # Bokmål, not Nynorsk
    "ms": "zlm.txt",  # Malay in Latin script, not Jawi
    "sq": "als.txt",  # Tosk, the base of standard Albanian
    "zh": "cmn.txt",  # Mandarin, Simplified characters
    "de": "deu.txt",  # the 1996 orthography, not 1901
    "el": "ell.txt",  # monotonic, not polytonic
    "pt": "por.txt",  # Brazilian
    "az": "azj-Latn.txt",
    "uz": "uzn-Latn.txt",
    "bs": "bos-Latn.txt",
    "sr": "srp.txt",  # Cyrillic
    "fa": "pes.txt",  # Iranian Persian, not Dari
    "sw": "swh.txt",  # standard Swahili, not Chimwiini or Kibajuni
    "ug": "uig.txt",  # Arabic script
    "jv": "jav.txt",  # Latin script
    "ja": "jpn.txt",
    "vi": "vie.txt",  # Latin script, not Han nôm
    # ron.txt is the 1953 orthography (î for â throughout); 2006 is today's norm.
    "ro": "ron-ron_2006.txt",
    # hau.txt writes ɗ and ƙ as x and q; Nigerian Hausa has the standard letters.
    "ha": "hau-NG.txt",
    # Atomic chillu letters (Unicode 5.1), as modern text has them; mal.txt
    # spells them with ZWJ sequences, which NFKC does not fold.
    "ml": "mal-mal_chillus.txt",
}


def read_index(udhr):
    with open(udhr / "index.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def read_paragraphs(udhr, name):
    return (udhr / name).read_text("utf-8").splitlines()


def choose_file(code, rows):
    """The index row of the file used for `code`, or None if the UDHR lacks the language."""
    by_file = {row["file"]: row for row in rows}
    if code in CHOSEN_FILES:
        return by_file[CHOSEN_FILES[code]]
    candidates = [row for row in rows if row["bcp47"].split("-")[0] == code]
    exact = [row for row in candidates if row["bcp47"] == code]
    # Among several exact tags (spa.txt and spa-042.txt), the plain <iso639-3>.txt.
    for group in (exact, candidates):
        if group:
            plain = [row for row in group if row["file"] == row["iso639_3"] + ".txt"]
            return (plain or group)[0]
    return None


def build(udhr):
    """(records sorted by code, {code: why dropped}, [codes the UDHR lacks])."""
    rows = read_index(udhr)
    english = read_paragraphs(udhr, ENGLISH_FILE)
    records, dropped, missing = [], {}, []
    for code in sorted(CC100_LANGUAGES):
        row = choose_file(code, rows)
        if row is None:
            missing.append(code)
            continue
        if code == "en":
            paragraphs = english
        else:
            aligned = one_to_one(english, read_paragraphs(udhr, row["file"]))
            paragraphs = [
                None if text in SENTENCE_FRAGMENTS or (row["file"], text) in SOURCE_ERRORS
                else aligned.get(i)
                for i, text in enumerate(english)
            ]
            count = sum(text is not None for text in paragraphs)
            if count < MIN_ALIGNED:
                dropped[code] = f"{row['file']}: {count} of {len(english)} paragraphs align 1-1"
                continue
        records.append({
            "lang": code,
            "file": row["file"],
            "bcp47": row["bcp47"],
            "name": row["name"],
            "paragraphs": paragraphs,
        })
    return records, dropped, missing


def write(records, path):
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(lines.encode("utf-8"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared" / "data",
                        help="the shared test-data folder (default: ../shared/data from the repo root)")
    parser.add_argument("--out", type=Path, default=OUTPUT,
                        help="output file (default: evaluation/data/udhr_parallel.jsonl.gz)")
    args = parser.parse_args(argv)
    records, dropped, missing = build(args.shared / UDHR_DIR)
    write(records, args.out)
    for record in records:
        count = sum(text is not None for text in record["paragraphs"])
        print(f"{record['lang']:3} {record['file']:20} {count:2}/{len(record['paragraphs'])}")
    for code, why in dropped.items():
        print(f"dropped {code}: {why}")
    print(f"missing from the UDHR data: {' '.join(missing) or 'none'}")
    data = args.out.read_bytes()
    print(f"{args.out.name}: {len(records)} languages, {len(data)} bytes, "
          f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
