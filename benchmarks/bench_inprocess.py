"""In-process speed: tokeniser floor vs scikit-learn's predict_proba vs jinmyaku's classify.

    python -m benchmarks.bench_inprocess [--model DIR] [--rounds N]

All paths run interleaved in the same process on the same bios, so the
ratios hold even on a busy machine; absolute numbers move with the machine.
"""
from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.bios import describe, long_bios, typical_bios
from training import load_model
from training.tokenizer import MeCabTokenizer


def per_call_us(function, texts, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            function(text)
            samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def batch_throughput(function, texts, batch_size: int, rounds: int) -> float:
    """Bios per second when called with batches of ``batch_size``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(0, len(texts), batch_size):
            function(texts[i:i + batch_size])
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def run(model_dir, rounds: int) -> list[dict]:
    model = load_model(model_dir)
    tokenizer = MeCabTokenizer()
    pipeline = model.pipeline_
    rows = []
    for label, texts in (("typical", typical_bios()), ("long", long_bios())):
        model.classify(texts[:10])
        pipeline.predict_proba(texts[:10])
        tokenizer.tokenize(texts[0])
        single = {"floor": [], "sklearn": [], "jinmyaku": []}
        # Interleave rounds so that machine noise hits every path alike.
        for _ in range(rounds):
            single["floor"] += per_call_us(tokenizer.tokenize, texts, 1)
            single["sklearn"] += per_call_us(lambda t: pipeline.predict_proba([t]), texts[:200], 1)
            single["jinmyaku"] += per_call_us(lambda t: model.classify([t]), texts, 1)
        batch = {
            "floor": batch_throughput(lambda b: [tokenizer.tokenize(t) for t in b], texts, 1000, rounds),
            "sklearn": batch_throughput(pipeline.predict_proba, texts, 1000, rounds),
            "jinmyaku": batch_throughput(model.classify, texts, 1000, rounds),
        }
        floor_p50 = statistics.median(single["floor"])
        for path in ("floor", "sklearn", "jinmyaku"):
            p50 = statistics.median(single[path])
            rows.append({"set": label, "describe": describe(texts), "path": path,
                         "p50_us": p50, "p99_us": statistics.quantiles(single[path], n=100)[98],
                         "p50_vs_floor": p50 / floor_p50, "batch_per_s": batch[path],
                         "batch_vs_floor": batch[path] / batch["floor"]})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the shipped default)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rows = run(args.model, args.rounds)
    names = {"floor": "MeCab tokenisation alone (floor)", "sklearn": "scikit-learn predict_proba",
             "jinmyaku": "jinmyaku classify"}
    print(f"{'bios':<30} {'path':<34} {'p50 µs':>8} {'p99 µs':>8} {'p50/floor':>10} "
          f"{'batch bios/s':>13} {'batch/floor':>12}")
    for row in rows:
        print(f"{row['describe']:<30} {names[row['path']]:<34} {row['p50_us']:>8.0f} {row['p99_us']:>8.0f} "
              f"{row['p50_vs_floor']:>9.2f}x {row['batch_per_s']:>13.0f} {row['batch_vs_floor']:>11.0%}")


if __name__ == "__main__":
    main()
