"""Near-duplicate detection: MinHash/LSH math on real pages with controlled edits, and what the rule removes."""

import math
import random

import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from helpers import deduplicate_lists
from xlmr.pipeline.dedup.minhash import (SCHEME, SEED, Signer, candidate_probability, lsh_params, permutations,
                                         shingle_hashes)
from xlmr.pipeline.records import Document

RATES = (0.02, 0.05, 0.10, 0.30)
MONTHS = "January February March April May June July August September October November December".split()


@pytest.fixture(scope="module")
def pages(sample_pages):
    """Main texts of the sample's pages written with spaces, 150+ words, distinct sites."""
    texts = {}
    for url, text in sample_pages:
        host = url.split("/")[2]
        if len(text.split()) >= 150 and host not in texts:
            texts[host] = text
    return [t for _, t in sorted(texts.items()) if " " in t and not _cjk(t)][:40]


def _cjk(text):
    return sum("\u3040" <= ch <= "\u9fff" for ch in text) > len(text) / 4


@pytest.fixture(scope="module")
def signer():
    return Signer(num_perm=128, threshold=0.8)


def dated(text, day, month):
    return f"Updated {day} {month} 2024\n{text}"


def edit(text, rate, rng, pool):
    """Substitute or insert words (half each) at `rate` of the words."""
    words = text.split()
    for _ in range(round(rate * len(words))):
        i = rng.randrange(len(words))
        if rng.random() < 0.5:
            words[i] = rng.choice(pool)
        else:
            words.insert(i, rng.choice(pool))
    return " ".join(words)


def jaccard(a, b):
    """Exact Jaccard of the two shingle sets (32-bit shingle hashes: collisions are negligible)."""
    sa, sb = set(shingle_hashes(a).tolist()), set(shingle_hashes(b).tolist())
    return len(sa & sb) / len(sa | sb)


def test_bands_and_rows_are_datasketch_choice():
    assert lsh_params(0.8, 128) == (9, 13)
    for num_perm in (16, 64, 100, 128, 256):
        for threshold in (0.05, 0.3, 0.5, 0.7, 0.85, 0.95):
            assert lsh_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)
    assert candidate_probability(1.0, 9, 13) == 1.0 and candidate_probability(0.0, 9, 13) == 0.0


def test_permutations_are_datasketchs():
    a, b = MinHash(num_perm=128, seed=SEED, scheme=SCHEME).permutations
    mine = permutations(128)
    assert mine[0].tolist() == a.tolist() and mine[1].tolist() == b.tolist()


def test_shingles():
    assert len(shingle_hashes("One two three")) == 1  # shorter than 5 words: one shingle
    assert len(shingle_hashes("one two three four five six")) == 2
    # normalised as for paragraph dedup: case, digits, punctuation, newlines
    assert shingle_hashes("A b C d 7 e").tolist() == shingle_hashes("a B c d 3 e").tolist()
    assert shingle_hashes("a b c\nd e f").tolist() == shingle_hashes("a b c d e f").tolist()
    assert len(shingle_hashes("市议会昨晚通过了预算")) == 6  # character 5-grams
    assert shingle_hashes("abcde fghij").tolist() != shingle_hashes("fghij abcde").tolist()


def test_signatures_are_reproducible(pages):
    assert Signer(128, 0.8).band_keys(pages[0]) == Signer(128, 0.8).band_keys(pages[0])


def test_signatures_are_datasketchs(pages):
    """The vectorised signature equals datasketch's own MinHash over the same shingles,
    for one shingle, a few, and more than a chunk's worth."""
    signer = Signer(128, 0.8)
    texts = ["one", "a b c d e f g", pages[0], " ".join(pages) * 2]
    assert len(shingle_hashes(texts[-1])) > Signer.CHUNK
    for text in texts:
        reference = MinHash(num_perm=128, seed=SEED, scheme=SCHEME, hashfunc=int)
        reference.update_batch(shingle_hashes(text))
        assert signer.signature(text).tolist() == reference.hashvalues.tolist()


@pytest.mark.parametrize("rate", RATES)
def test_recall_of_edited_pages_follows_the_lsh_curve(pages, signer, rate):
    rng = random.Random(rate)
    pool = " ".join(pages).split()
    probabilities, jaccards, found = [], [], 0
    for i, text in enumerate(pages):
        original = dated(text, 1 + i % 28, MONTHS[i % 12])
        copy = dated(edit(text, rate, rng, pool), 2 + i % 27, MONTHS[(i + 5) % 12])
        probabilities.append(candidate_probability(jaccard(original, copy), signer.bands, signer.rows))
        found += bool(set(signer.band_keys(original)) & set(signer.band_keys(copy)))
        jaccards.append(jaccard(original, copy))
    expected = sum(probabilities)
    print(f"rate {rate}: mean Jaccard {sum(jaccards) / len(jaccards):.3f}, found {found}/{len(pages)}, "
          f"expected {expected:.1f} +- {math.sqrt(sum(p * (1 - p) for p in probabilities)):.1f}")
    sigma = math.sqrt(sum(p * (1 - p) for p in probabilities))
    # LSH estimate from the exact Jaccard, within 3 sigma (+1 for tiny sigma), fixed seeds
    assert abs(found - expected) <= 3 * sigma + 1, (rate, found, expected, sigma)
    if rate == 0.30:  # Jaccard ~0.2: far below the threshold
        assert found <= 0.1 * len(pages)


def test_distinct_pages_never_collide(pages, signer):
    keys = [set(signer.band_keys(t)) for t in pages]
    pairs = [(i, j) for i in range(len(pages)) for j in range(i + 1, len(pages))]
    expected = sum(candidate_probability(jaccard(pages[i], pages[j]), signer.bands, signer.rows) for i, j in pairs)
    assert expected < 0.01
    assert [(i, j) for i, j in pairs if keys[i] & keys[j]] == []


def doc(doc_id, text):
    return Document(id=doc_id, url="", date="", source="s", text=text)


def test_near_dedup_removes_exactly_what_the_band_keys_predict(pages, signer):
    rng = random.Random(3)
    pool = " ".join(pages).split()
    docs = [doc(f"<{i:03d}>", t) for i, t in enumerate(pages)]
    docs += [doc(f"<{i:03d}-copy>", edit(t, RATES[i % 4], rng, pool)) for i, t in enumerate(pages)]
    keys = {d.id: set(signer.band_keys(d.text)) for d in docs}
    predicted = {d.id for d in docs if any(keys[d.id] & keys[o.id] for o in docs if o.id < d.id)}
    assert 0 < len(predicted) < len(pages)
    _, removed, _, _ = deduplicate_lists(docs, near_dup=(128, 0.8))
    assert [d.id for d in removed] == sorted(predicted)


def chain_set(pages, signer, steps=5, rate=0.01, seed=11):
    """Chains P0 -> P1 -> ... where each page is a 1%-edit of the previous; ids shuffled."""
    rng = random.Random(seed)
    pool = " ".join(pages).split()
    texts = []
    for text in pages:
        chain = [text]
        for _ in range(steps - 1):
            chain.append(edit(chain[-1], rate, rng, pool))
        texts.extend(chain)
    ids = [f"<{n:04d}>" for n in rng.sample(range(len(texts)), len(texts))]
    return {i: set(signer.band_keys(t)) for i, t in zip(ids, texts)}


def components_kept(keys):
    """Exact connected components over the LSH candidate graph: one keeper (min id) per component."""
    parent = {i: i for i in keys}

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_bucket = {}
    for i, ks in keys.items():
        for k in ks:
            by_bucket.setdefault(k, []).append(i)
    for members in by_bucket.values():
        for other in members[1:]:
            parent[root(other)] = root(members[0])
    return {min(i for i in keys if root(i) == r) for r in {root(i) for i in keys}}


def test_chains_keep_local_minima_a_superset_of_connected_components(pages, signer):
    keys = chain_set(pages, signer)
    ours = {i for i in keys if not any(keys[i] & keys[o] for o in keys if o < i)}
    exact = components_kept(keys)
    print(f"chains: {len(keys)} docs, kept {len(ours)} by bucket rule, {len(exact)} by connected components")
    assert exact <= ours  # a component's smallest id never shares a bucket with a smaller one
    assert len(pages) <= len(exact) <= len(ours) < len(keys)
