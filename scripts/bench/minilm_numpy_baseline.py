#!/usr/bin/env python3
"""The embedding scenario's baseline: the shared numpy float32 reference of all-MiniLM-L6-v2
(`minilm_reference.py`, read from where it lives, never copied here) on the same texts, in the same run.

Reads a JSON object {"sentences": [...], "queries": [...]} and writes {"sentences_per_second", "query_ms": [...]}:
the sentences embedded the reference's way (sorted by length, padded batches of 64, at most 8,192 tokens), then
each query alone. Needs numpy; `safetensors` is used if installed, else a small numpy reader of the same format.
"""
import argparse
import json
import struct
import sys
import time
import types

import numpy as np


def numpy_load_file(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[8 + size + begin : 8 + size + end]
        tensors[name] = np.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference-dir", required=True, help="the folder of minilm_reference.py")
    parser.add_argument("--model-dir", required=True, help="the folder of model.safetensors and vocab.txt")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    try:
        import safetensors.numpy  # noqa: F401
    except ImportError:
        package = types.ModuleType("safetensors")
        package.numpy = types.ModuleType("safetensors.numpy")
        package.numpy.load_file = numpy_load_file
        sys.modules["safetensors"] = package
        sys.modules["safetensors.numpy"] = package.numpy
    sys.path.insert(0, args.reference_dir)
    from minilm_reference import MiniLM

    with open(args.input, encoding="utf-8") as f:
        work = json.load(f)
    model = MiniLM(args.model_dir)
    model.encode(work["sentences"][:8])  # warm up
    start = time.perf_counter()
    model.encode(work["sentences"])
    seconds = time.perf_counter() - start
    query_ms = []
    for query in work["queries"]:
        start = time.perf_counter()
        model.encode([query])
        query_ms.append((time.perf_counter() - start) * 1000)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump({"sentences_per_second": len(work["sentences"]) / seconds, "query_ms": query_ms}, f)


if __name__ == "__main__":
    main()
