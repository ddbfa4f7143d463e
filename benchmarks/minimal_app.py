"""The comparison endpoint for the HTTP benchmark: FastAPI that only tokenises, served like the service.

    python -m benchmarks.minimal_app --port 8001 [--workers N]
"""
from __future__ import annotations

import argparse

from fastapi import FastAPI
from pydantic import BaseModel

from training.tokenizer import MeCabTokenizer

app = FastAPI()
tokenizer = MeCabTokenizer()


class Bios(BaseModel):
    text: str | None = None
    texts: list[str] | None = None


@app.post("/classify")
def tokenize_only(bios: Bios) -> dict:
    texts = bios.texts if bios.texts is not None else [bios.text or ""]
    return {"results": [{"tokens": len(tokenizer.tokenize(t))} for t in texts]}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run("benchmarks.minimal_app:app", host="127.0.0.1", port=args.port, workers=args.workers,
                log_level="warning", server_header=False)


if __name__ == "__main__":
    main()
