"""Minimal safetensors writer for golden fixtures (the safetensors package is not in Debian).

Layout (https://github.com/huggingface/safetensors): 8-byte little-endian header length, JSON header
{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the raw little-endian data.
"""
import json
import os
import struct

import torch

_DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float64: "F64"}


def save(path, tensors, metadata=None):
    """Writes {name: tensor} (float32 unless int64) and string metadata to `path`, names sorted."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype not in _DTYPES:
            t = t.to(torch.float32)
        data = t.numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def case(path, fn, inputs, params=None, seed_grad=True):
    """Runs fn(*inputs), back-propagates a fixed random seed gradient, and saves inputs, output and grads.

    Saved names: in.<i>, out, gout (the seed gradient), grad.<i> for every input that requires grad.
    `params` (a dict) goes to the metadata as JSON under "params".
    """
    ins = [x.detach().clone().requires_grad_(x.requires_grad) for x in inputs]
    # Snapshot before the call: an op may update an input in place (batch norm's running statistics).
    before = [x.detach().clone() for x in ins]
    out = fn(*ins)
    g = torch.randn_like(out) if seed_grad else torch.ones_like(out)
    tensors = {"out": out, "gout": g}
    if any(x.requires_grad for x in ins):
        out.backward(g)
    for i, x in enumerate(ins):
        tensors["in.%d" % i] = before[i]
        if x.requires_grad and x.grad is not None:
            tensors["grad.%d" % i] = x.grad
    save(path, tensors, {"params": json.dumps(params or {})})
