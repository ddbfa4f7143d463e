"""Command line: python -m training {train,evaluate,predict,validate,stats}."""
from __future__ import annotations

import argparse
import codecs
import dataclasses
import json
import sys
from pathlib import Path

from .artifacts import ModelLoadError, load_model
from .config import TrainConfig
from .corpus import CorpusError, default_data_files, find_near_duplicates, read_records


def _cmd_train(args) -> int:
    from .train import train

    config = TrainConfig.from_toml(args.config) if args.config else TrainConfig()
    if args.seed is not None:
        config = dataclasses.replace(config, seed=args.seed)
    data = args.data or default_data_files()
    if not data:
        print("error: no data files: pass --data FILE or add .jsonl files to training/data/",
              file=sys.stderr)
        return 2
    out = train(data, args.out, config, promote=args.promote)
    print(out)
    return 0


def _cmd_evaluate(args) -> int:
    from .evaluate import evaluate, format_table

    against = load_model(args.against) if args.against else None
    result = evaluate(load_model(args.model), args.data, bootstrap=args.bootstrap, against=against)
    errors = result.pop("errors")
    print(format_table(result))
    if args.errors:
        for e in errors:
            print(json.dumps(e, ensure_ascii=False))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


def _text_of(line: str) -> str:
    """The 'text' of one JSONL input line; ValueError says what is wrong with it."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        raise ValueError("malformed JSON") from None
    text = obj.get("text") if isinstance(obj, dict) else None
    if not isinstance(text, str):
        raise ValueError("each line needs a string 'text' key")
    return text


def _cmd_predict(args) -> int:
    model = load_model(args.model)
    failures = 0
    batch: list[str] = []

    def flush():
        # Classifying in batches is many times faster than one bio at a time.
        for prediction in model.classify(batch, explain=args.explain):
            out = prediction.to_dict()
            if not args.explain:
                out.pop("explanation")
            print(json.dumps(out, ensure_ascii=False))
        batch.clear()

    for number, raw in enumerate(sys.stdin.buffer, 1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)  # a file saved by Windows Notepad
        if not raw.strip():
            # A blank line keeps its place too, so output line N always answers input line N.
            flush()
            print(json.dumps({"line": number, "skipped": "blank line"}))
            continue
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"not UTF-8 text (byte {exc.start + 1} of the line): "
                                 "save the file as UTF-8") from None
            batch.append(_text_of(line))
        except ValueError as exc:
            # The error takes the line's place in the output, so outputs stay aligned with inputs.
            flush()
            failures += 1
            print(json.dumps({"line": number, "error": str(exc)}, ensure_ascii=False))
            print(f"stdin:{number}: {exc}", file=sys.stderr)
            continue
        if len(batch) >= 256:
            flush()
    flush()
    return 1 if failures else 0


def _cmd_validate(args) -> int:
    paths = args.data or default_data_files()
    records = read_records(paths, strict=True)
    problems = []
    seen_ids: dict[str, str] = {}
    for r in records:
        if r.id and r.id in seen_ids:
            problems.append(f"{r.origin}: duplicate id {r.id!r} (first at {seen_ids[r.id]})")
        seen_ids.setdefault(r.id, r.origin)
    for i, j, similarity in find_near_duplicates([r.text for r in records], args.near_duplicate):
        problems.append(f"{records[j].origin}: near-duplicate of {records[i].origin} "
                        f"(trigram Jaccard {similarity:.2f})")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(records)} records, {len(problems)} problem(s)")
    return 1 if problems else 0


def _cmd_stats(args) -> int:
    from .corpus_stats import corpus_stats, stats_markdown

    stats = corpus_stats(read_records(args.data or default_data_files()))
    print(json.dumps(stats, ensure_ascii=False, indent=1) if args.json else stats_markdown(stats))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training",
                                     description="Train, evaluate and run the jinmyaku role classifier.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model and write a versioned artifact directory")
    p.add_argument("--data", nargs="+", type=Path, help="labelled JSONL/CSV files (default: training/data/*.jsonl)")
    p.add_argument("--out", type=Path, help="artifact directory (default: models/<version>)")
    p.add_argument("--config", type=Path, help="TOML file with TrainConfig settings")
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--promote", action="store_true", help="make the new model the default (models/DEFAULT)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="metrics of a model and the keyword baseline on a labelled file")
    p.add_argument("--data", nargs="+", type=Path, required=True)
    p.add_argument("--model", type=Path, help="model directory (default: the shipped default)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object on the last line")
    p.add_argument("--errors", action="store_true", help="list the records whose primary role was missed")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="resamples for the 95%% intervals (default 1000; 0 skips them)")
    p.add_argument("--against", type=Path, metavar="DIR",
                   help="another model to compare with: its metrics and the paired interval of the lead over it")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("predict", help="JSONL with a 'text' key on stdin, predictions as JSONL on stdout")
    p.add_argument("--model", type=Path)
    p.add_argument("--explain", action="store_true", help="add the features behind each primary role")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("validate", help="check labelled files against LABELS.md rules and for duplicates")
    p.add_argument("--data", nargs="+", type=Path)
    p.add_argument("--near-duplicate", type=float, default=0.85, help="trigram Jaccard counted as a near-duplicate")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("stats", help="corpus counts per role, pair, style and length (the data card's tables)")
    p.add_argument("--data", nargs="+", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_stats)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CorpusError, ModelLoadError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
