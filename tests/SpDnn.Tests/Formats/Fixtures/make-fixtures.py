#!/usr/bin/python3
"""Makes the .npz fixtures of this folder with SciPy and NumPy (run here with /usr/bin/python3)."""
import numpy as np
import scipy.sparse as sp

# One 5 x 4 matrix with an explicit zero, saved in the three layouts save_npz writes.
dense = np.array([[0, 1.5, 0, -2], [0, 0, 0, 0], [3, 0, 0.25, 0], [0, 0, 0, 1], [-1, 0, 0, 0]], dtype=np.float32)
m = sp.csr_matrix(dense)
for fmt in ("csr", "csc", "coo"):
    sp.save_npz(f"layer-{fmt}.npz", m.asformat(fmt), compressed=(fmt == "csc"))

# A two-layer network in SpDnn's multi-layer layout: 5 -> 4 (relu_cap 2, bias always) -> 3 (identity).
w2 = sp.csr_matrix(np.array([[1, 0, -1], [0, 2, 0], [0, 0, 0], [0.5, 0, 1]], dtype=np.float32))
arrays = {"layers": np.int64(2), "readout": "class"}
layers = [(m, np.array([0.5, -0.25, 0, 0.125], np.float32), "relu_cap"), (w2, np.array([0, 0.5, -0.5], np.float32), "identity")]
for k, (w, b, act) in enumerate(layers):
    w = w.tocsr()
    arrays.update({f"layer{k}_format": np.bytes_(b"csr"), f"layer{k}_shape": np.array(w.shape, np.int64), f"layer{k}_data": w.data,
                   f"layer{k}_indices": w.indices, f"layer{k}_indptr": w.indptr, f"layer{k}_bias": b,
                   f"layer{k}_activation": act, f"layer{k}_bias_mode": "always"})
arrays["layer0_cap"] = np.float32(2.0)
np.savez("two-layers.npz", **arrays)
