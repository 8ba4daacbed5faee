"""Evaluation: xlmr-eval's retrieval embedding path against the plain loop most scripts use.

Both embed the shipped UDHR parallel set (all 88 languages, ~5,000 paragraphs
besides English) with the same model, layer, pooling and batch size, and score
top-1 retrieval against English. Ours embeds English once per model and forms
batches of similar length; the plain loop, as XTREME-style scripts do, embeds
both sides of each language pair in file order. Same process, alternating,
median of --repeat; the accuracies must agree (the same vectors up to padding
rounding).

Run from the repository root (builds the sample corpus and tokenizer under --work-dir once):

    .venv/bin/python bench/bench_eval.py [--model tiny|base]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from bench_tokenizer import REPO, build_corpus
from bench_trainer import build_tokenizer


@torch.no_grad()
def plain_embed(encoder, tokenizer, texts: list[str], layer: int, batch_size: int, max_length: int) -> torch.Tensor:
    out = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt")
        states = encoder(**batch, output_hidden_states=True).hidden_states[layer]
        mask = batch["attention_mask"].unsqueeze(-1).float()
        out.append((states * mask).sum(1) / mask.sum(1))
    return torch.cat(out)


def plain_retrieval(model, tokenizer, parallel, layer: int, batch_size: int, max_length: int) -> dict[str, float]:
    scores = {}
    for lang in parallel.languages():
        if lang == "en":
            continue
        _, other, english = parallel.aligned(lang)
        a = F.normalize(plain_embed(model.base_model, tokenizer, other, layer, batch_size, max_length), dim=1)
        b = F.normalize(plain_embed(model.base_model, tokenizer, english, layer, batch_size, max_length), dim=1)
        scores[lang] = ((a @ b.T).argmax(1) == torch.arange(len(a))).float().mean().item()
    return scores


def main(argv: list[str] | None = None) -> None:
    from transformers import AutoTokenizer, XLMRobertaForMaskedLM

    from xlmr.evaluation.embeddings import default_layer
    from xlmr.evaluation.parallel_set import load
    from xlmr.evaluation.suite import Settings, retrieval
    from xlmr.trainer.presets import model_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench" / "out" / "trainer", metavar="DIR",
                        help="where the sample corpus and tokenizer are built (shared with bench_trainer.py)")
    parser.add_argument("--model", choices=["tiny", "base"], default="tiny",
                        help="preset of the (randomly initialised) model: timing does not depend on its weights")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--batch-size", type=int, default=32, help="paragraphs per forward pass")
    parser.add_argument("--max-length", type=int, default=256, help="tokens per paragraph")
    args = parser.parse_args(argv)

    tokdir = build_tokenizer(args.work_dir, build_corpus(args.work_dir))
    tokenizer = AutoTokenizer.from_pretrained(tokdir)
    torch.manual_seed(0)
    model = XLMRobertaForMaskedLM(model_config(args.model, tokenizer)).eval()
    parallel = load()
    layer = default_layer(model.config.num_hidden_layers)
    settings = Settings(tasks=("retrieval",), languages=parallel.languages(), layer=layer,
                        max_length=args.max_length, batch_size=args.batch_size, mask_prob=0.15, train_share=0.6,
                        epochs=1, lr=2e-5, finetune_batch_size=8, seed=0)
    paragraphs = sum(len(parallel.aligned(lang)[0]) for lang in parallel.languages() if lang != "en")

    times = {"xlmr-eval": [], "plain loop": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        ours = retrieval(model, tokenizer, parallel, settings, contextlib.nullcontext)
        times["xlmr-eval"].append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs = plain_retrieval(model, tokenizer, parallel, layer, args.batch_size, args.max_length)
        times["plain loop"].append(time.perf_counter() - start)
    differ = [lang for lang in theirs if abs(theirs[lang] - ours[lang]["to_en"]) > 1.5 / ours[lang]["n"]]
    assert not differ, f"x→en accuracy differs in {differ}"

    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"\nretrieval over {len(theirs)} languages ({paragraphs:,} paragraphs + English), {args.model} model, "
          f"layer {layer}, batch {args.batch_size}, {torch.get_num_threads()} threads, median of {args.repeat}")
    print(f"{'':<14}{'seconds':>9}   runs")
    for name, t in times.items():
        print(f"{name:<14}{median[name]:>9.1f}   {', '.join(f'{x:.1f}' for x in t)}")
    print(f"ratio plain loop / xlmr-eval time: {median['plain loop'] / median['xlmr-eval']:.2f}x "
          f"(same accuracies in every language)")


if __name__ == "__main__":
    main()
