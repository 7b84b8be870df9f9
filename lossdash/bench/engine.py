"""Engine benchmark (``python -m lossdash.bench engine``): optimizer steps per second with
history recording, for

(a) a 2-8-8-1 tanh MLP, BCE, 500 points, batch 10, SGD and
(b) a 2-64-64-1 relu MLP, BCE, 10,000 points, batch 256, Adam.

When PyTorch is importable the same work (same batches, same recorded quantities: loss, gradient
norm, update norm) runs in PyTorch CPU in the same process and the ratio is printed.
"""

from __future__ import annotations

import os
import time

# Small matrices run faster on one BLAS thread, and two libraries each spinning up their own
# thread pools on a 2-core machine starve each other. Both sides of every comparison get one
# thread (set before numpy is imported; torch is told the same below).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


from lossdash import data, losses, models, optimizers  # noqa: E402
from lossdash.engine import Trainer  # noqa: E402

SECONDS = 2.0  # wall time per measurement: long enough to smooth out a noisy machine


def _rate(fn, seconds=SECONDS):
    """Calls of ``fn`` (which returns how many steps it took) per second over ``seconds``."""
    fn()  # warm-up: first-call allocations and caches
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        steps += fn()
    return steps / (time.perf_counter() - start)


ENGINE_CASES = {
    "a": dict(
        label="(a) 2-8-8-1 tanh, BCE, 500 pts, batch 10, SGD",
        dataset="xor",
        n=500,
        hidden=(8, 8),
        activation="tanh",
        batch=10,
        opt="sgd",
        lr=0.1,
        target_steps=10_000,
        target_ratio=5.0,
    ),
    "b": dict(
        label="(b) 2-64-64-1 relu, BCE, 10k pts, batch 256, Adam",
        dataset="circle",
        n=10_000,
        hidden=(64, 64),
        activation="relu",
        batch=256,
        opt="adam",
        lr=1e-3,
        target_steps=1_000,
        target_ratio=2.0,
    ),
}


def lossdash_trainer(case):
    ds = data.generate(case["dataset"], n_samples=case["n"], noise=0.1, seed=0)
    model = models.make("mlp", 2, hidden=case["hidden"], activation=case["activation"], seed=0)
    opt = optimizers.get(case["opt"], case["lr"])
    return Trainer(model, losses.get("bce"), opt, ds, batch_size=case["batch"], max_epochs=10**9)


def torch_steps(case):
    """The same loop in PyTorch CPU: a function that takes 100 steps and records the same things."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    ds = data.generate(case["dataset"], n_samples=case["n"], noise=0.1, seed=0)
    X = torch.tensor(ds.X, dtype=torch.float64)
    y = torch.tensor(ds.y, dtype=torch.float64)
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[case["activation"]]
    layers, width = [], 2
    for h in case["hidden"]:
        layers += [torch.nn.Linear(width, h), act()]
        width = h
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1)).double()
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[case["opt"]](
        net.parameters(), lr=case["lr"]
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    params = list(net.parameters())
    bs, n = case["batch"], X.shape[0]
    state = {"k": 0, "Xs": X, "ys": y}
    history = []

    def hundred():
        for _ in range(100):
            k = state["k"]
            if k * bs >= n:
                k = 0
            if k == 0:
                perm = torch.randperm(n)
                state["Xs"], state["ys"] = X[perm], y[perm]
            xb, yb = state["Xs"][k * bs : (k + 1) * bs], state["ys"][k * bs : (k + 1) * bs]
            state["k"] = k + 1
            before = torch.nn.utils.parameters_to_vector(params).detach()
            opt.zero_grad()
            loss = loss_fn(net(xb)[:, 0], yb)
            loss.backward()
            gnorm = torch.linalg.vector_norm(torch.cat([p.grad.reshape(-1) for p in params]))
            opt.step()
            unorm = torch.linalg.vector_norm(
                torch.nn.utils.parameters_to_vector(params).detach() - before
            )
            history.append((loss.item(), gnorm.item(), unorm.item()))
        return 100

    return hundred


def bench_engine():
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    print("engine: optimizer steps per second, history recording included")
    print(f"{'case':52s} {'lossdash':>10s} {'target':>8s} {'PyTorch':>9s} {'ratio':>6s}")
    rows = []
    for case in ENGINE_CASES.values():
        trainer = lossdash_trainer(case)
        ours = _rate(lambda t=trainer: t.run_steps(100))
        theirs = _rate(torch_steps(case)) if have_torch else float("nan")
        ratio = ours / theirs if have_torch else float("nan")
        rows.append((case["label"], ours, theirs, ratio))
        print(
            f"{case['label']:52s} {ours:10,.0f} {case['target_steps']:8,d} "
            f"{theirs:9,.0f} {ratio:5.1f}x (target {case['target_ratio']:g}x)"
        )
    if not have_torch:
        print("  (PyTorch not installed: `pip install torch==2.13.0` to print the ratio)")
    return rows


def run():
    bench_engine()
