"""Lesson 12, section 1: data parallelism simulated in NumPy, R ranks in one process.

- :class:`Network`, a simulated network between R ranks: ``send(src, dst, chunk, values)`` queues a message,
  ``step()`` delivers every queued message at once and returns each rank's inbox; it counts the steps, the
  messages and the numbers each rank sent and received, so that an all-reduce can be graded by its traffic.
- :func:`rank_rows`, the rows of one global batch (or epoch) that one rank takes: torch's
  ``DistributedSampler(shuffle=False)`` convention, strided after padding by repeating the first rows.
- :func:`ring_average`, the ring all-reduce (reduce-scatter, then all-gather, then ÷ R), and
  :func:`server_average`, everyone through rank 0 (a parameter server), for the traffic comparison.
- :func:`train_data_parallel`, softmax regression trained on R simulated ranks (shard, all-reduce the gradients,
  the same step everywhere), and :func:`shard_mean_gap`, what unequal shards averaged as equals cost.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.numpy_nn.layers import Linear
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.optimizers import SGD
from course_lib.ui.plots import axes_or_current


def _whole(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be a whole number ≥ {low}; got {value!r}. Pass e.g. {name}={max(low, 2)}.")
    return int(value)


class Network:
    """R ranks joined by a simulated network that counts its traffic.

    ``send(src, dst, chunk, values)`` queues a copy of ``values`` (chunk number ``chunk`` of the sender's vector)
    for rank ``dst``; ``step()`` delivers everything queued and returns ``inbox``, a list of R lists, where
    ``inbox[r]`` holds the ``(chunk, values)`` pairs rank r received in that step. Any rank may send to any other:
    the ring is the algorithm's discipline, and ``log``, ``sent`` and ``received`` show whether it kept it.

    Attributes:
        world_size: R, the number of ranks.
        log: one list per finished step, of ``(src, dst, chunk, n_numbers)`` per message.
        sent, received: how many numbers each rank sent and received in all (arrays of R ints).
    """

    def __init__(self, world_size: int) -> None:
        self.world_size = _whole("world_size", world_size, 1)
        self.log: list[list[tuple[int, int, int, int]]] = []
        self.sent = np.zeros(self.world_size, dtype=np.int64)
        self.received = np.zeros(self.world_size, dtype=np.int64)
        self._queue: list[tuple[int, int, int, NDArray[np.float64]]] = []

    def _rank(self, name: str, rank: object) -> int:
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < self.world_size:
            raise ValueError(f"send: {name} must be a rank from 0 to {self.world_size - 1} (R = {self.world_size}); "
                             f"got {rank!r}. The right neighbour of rank r is (r + 1) % R.")
        return int(rank)

    def send(self, src: int, dst: int, chunk: int, values: ArrayLike) -> None:
        """Queue chunk number ``chunk`` (``values``, a copy is sent) from rank ``src`` to rank ``dst``."""
        src, dst = self._rank("src", src), self._rank("dst", dst)
        if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 0:
            raise ValueError(f"send: chunk must be a chunk number 0, 1, …; got {chunk!r}.")
        array = np.array(values, dtype=np.float64).reshape(-1)
        self._queue.append((src, dst, int(chunk), array))

    def step(self) -> list[list[tuple[int, NDArray[np.float64]]]]:
        """Deliver every queued message; return each rank's inbox of ``(chunk, values)`` pairs."""
        inbox: list[list[tuple[int, NDArray[np.float64]]]] = [[] for _ in range(self.world_size)]
        self.log.append([(src, dst, chunk, values.size) for src, dst, chunk, values in self._queue])
        for src, dst, chunk, values in self._queue:
            inbox[dst].append((chunk, values))
            self.sent[src] += values.size
            self.received[dst] += values.size
        self._queue = []
        return inbox

    @property
    def steps(self) -> int:
        """How many steps have been delivered."""
        return len(self.log)

    @property
    def messages(self) -> int:
        """How many messages have been delivered in all."""
        return sum(len(messages) for messages in self.log)


def rank_rows(indices: ArrayLike, rank: int, world_size: int, *, drop_last: bool = False) -> NDArray[np.int64]:
    """The rows of ``indices`` that rank ``rank`` of ``world_size`` takes, as ``DistributedSampler`` does.

    Without ``drop_last`` the list is padded to a multiple of R by repeating its first rows (cyclically, if it is
    shorter than the padding), so every rank gets ⌈n/R⌉ rows; with it, the tail that does not fill a round is
    dropped. Then rank r takes every R-th row starting at row r (strided, not a contiguous block).
    """
    world_size = _whole("world_size", world_size, 1)
    rank = _whole("rank", rank, 0)
    if rank >= world_size:
        raise ValueError(f"rank must be from 0 to world_size − 1 = {world_size - 1}; got rank={rank}.")
    rows = np.asarray(indices)
    if rows.ndim != 1 or rows.size == 0 or rows.dtype.kind not in "iu":
        raise ValueError(f"indices must be a non-empty 1-D array of whole numbers (row numbers); got "
                         f"{rows.dtype} of shape {rows.shape}. Pass e.g. np.arange(n) or an epoch's permutation.")
    n = rows.size
    if drop_last:
        per_rank = n // world_size
        if per_rank == 0:
            raise ValueError(f"drop_last with {n} rows and world_size={world_size} leaves no rows for any rank; "
                             "use more rows or drop_last=False.")
        padded = rows[: per_rank * world_size]
    else:
        per_rank = math.ceil(n / world_size)
        padded = np.resize(rows, per_rank * world_size)  # repeats the first rows, cyclically
    return padded[rank::world_size].astype(np.int64)


def _grads_table(grads: ArrayLike) -> NDArray[np.float64]:
    table = np.asarray(grads, dtype=np.float64)
    if table.ndim != 2 or table.size == 0:
        raise ValueError(f"grads must be an array of shape (R, M), row r the gradient of rank r; got shape "
                         f"{table.shape}. Stack the ranks' flat gradients, e.g. np.stack([g0, g1]).")
    return table


def ring_average(grads: ArrayLike, net: Network) -> NDArray[np.float64]:
    """The average of the R rows of ``grads``, computed on every rank by a ring all-reduce through ``net``.

    Each rank cuts its vector into R chunks. Reduce-scatter, R − 1 steps: every rank sends one chunk to its right
    neighbour, who adds it into its own; each step a rank passes on the chunk it has just added into. Afterwards rank
    r holds chunk (r + 1) mod R summed over all ranks. All-gather, R − 1 more steps: the finished chunks travel
    round, each receiver overwriting its copy. Finally every rank divides by R. Returns an (R, M) array, row r
    rank r's result.
    """
    table = _grads_table(grads)
    R = table.shape[0]
    if net.world_size != R:
        raise ValueError(f"the network joins {net.world_size} ranks but grads has {R} rows; make Network({R}).")
    chunks = [np.array_split(row.copy(), R) for row in table]
    for phase in ("reduce-scatter", "all-gather"):
        for step in range(R - 1):
            for r in range(R):
                c = (r - step + (1 if phase == "all-gather" else 0)) % R
                net.send(r, (r + 1) % R, c, chunks[r][c])
            for r, inbox in enumerate(net.step()):
                for c, values in inbox:
                    chunks[r][c] = chunks[r][c] + values if phase == "reduce-scatter" else values
    return np.stack([np.concatenate(row) / R for row in chunks])


def server_average(grads: ArrayLike, net: Network) -> NDArray[np.float64]:
    """The same average through a parameter server: every rank sends its whole vector to rank 0, which averages and
    sends the result back to each (2 steps). Rank 0 receives (R − 1)·M numbers and sends as many."""
    table = _grads_table(grads)
    R = table.shape[0]
    if net.world_size != R:
        raise ValueError(f"the network joins {net.world_size} ranks but grads has {R} rows; make Network({R}).")
    if R == 1:
        return table.copy()
    for r in range(1, R):
        net.send(r, 0, 0, table[r])
    total = table[0] + sum(values for _, values in net.step()[0])
    for r in range(1, R):
        net.send(0, r, 0, total / R)
    inbox = net.step()
    return np.stack([total / R] + [inbox[r][0][1] for r in range(1, R)])


def ring_traffic(world_sizes: ArrayLike, M: int) -> dict[str, NDArray[np.int64]]:
    """Numbers sent per rank by :func:`ring_average` and received by rank 0 in :func:`server_average`, per R, counted
    on a :class:`Network` (zeros as the gradients: only the counts matter)."""
    M = _whole("M", M, 1)
    ring, server = [], []
    for R in np.asarray(world_sizes).reshape(-1):
        R = _whole("world size", int(R), 1)
        net = Network(R)
        ring_average(np.zeros((R, M)), net)
        ring.append(int(net.sent.max()))
        net = Network(R)
        server_average(np.zeros((R, M)), net)
        server.append(int(net.received[0]))
    return {"ring": np.array(ring), "server": np.array(server)}


def blobs(n: int = 240, features: int = 8, classes: int = 3, seed: int = 0) -> tuple[NDArray, NDArray]:
    """A small float64 classification problem: ``classes`` Gaussian blobs in ``features`` dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    return centres[y] + rng.normal(size=(n, features)), y


def _flat_grad(model: Linear) -> NDArray[np.float64]:
    return np.concatenate([p.grad.reshape(-1) for p in model.parameters()])


def train_data_parallel(
    world_size: int, batch_per_rank: int, steps: int, *, shard: Callable = rank_rows,
    all_reduce: Callable = ring_average, lr: float = 0.5, seed: int = 0,
) -> dict[str, NDArray[np.float64]]:
    """Softmax regression on :func:`blobs`, trained on R simulated ranks, each with its own copy of the model.

    Each step takes the next global batch of R·B rows of a seeded permutation; rank r computes the gradient of the
    mean loss on its shard (``shard(rows, r, R)``); the R flat gradients are averaged by ``all_reduce(grads, net)``;
    every copy takes the same SGD step. Returns ``loss`` (per step, the mean of the ranks' shard losses),
    ``weights`` (rank 0's flat weights after each step) and ``spread`` (the largest difference between the copies).
    """
    R, B, steps = _whole("world_size", world_size, 1), _whole("batch_per_rank", batch_per_rank, 1), _whole("steps", steps, 1)
    X, y = blobs(seed=seed)
    first = Linear(X.shape[1], 3, rng=np.random.default_rng(seed + 1))
    models = [copy.deepcopy(first) for _ in range(R)]
    optimizers = [SGD(m.parameters(), lr=lr) for m in models]
    order, losses, weights, spread = np.random.default_rng(seed + 2).permutation(len(y)), [], [], 0.0
    loss_fn = CrossEntropyLoss()
    for t in range(steps):
        start = (t * R * B) % (len(y) - R * B + 1)
        rows, grads, step_loss = order[start:start + R * B], [], 0.0
        for r, (model, opt) in enumerate(zip(models, optimizers)):
            mine = np.asarray(shard(rows, r, R))
            opt.zero_grad()
            step_loss += loss_fn(model(X[mine]), y[mine]) / R
            model.backward(loss_fn.backward())
            grads.append(_flat_grad(model))
        averaged = np.asarray(all_reduce(np.stack(grads), Network(R)), dtype=np.float64)
        for r, (model, opt) in enumerate(zip(models, optimizers)):
            flat = averaged[r]
            for p in model.parameters():
                p.grad, flat = flat[:p.data.size].reshape(p.data.shape).copy(), flat[p.data.size:]
            opt.step()
        flats = np.stack([np.concatenate([p.data.reshape(-1) for p in m.parameters()]) for m in models])
        losses.append(step_loss), weights.append(flats[0].copy())
        spread = max(spread, float(np.abs(flats - flats[0]).max()))
    return {"loss": np.array(losses), "weights": np.array(weights), "spread": np.array(spread)}


def shard_mean_gap(sizes: tuple[int, ...], seed: int = 0) -> float:
    """The largest |difference| between the whole batch's mean-loss gradient and the plain average of the shards'
    mean-loss gradients, for shards of the given ``sizes`` (one step of :func:`train_data_parallel`'s model)."""
    sizes = tuple(_whole("a shard size", s, 1) for s in sizes)
    X, y = blobs(seed=seed)
    model, loss_fn = Linear(X.shape[1], 3, rng=np.random.default_rng(seed + 1)), CrossEntropyLoss()
    rows, grads = np.arange(sum(sizes)), []
    for part in np.split(rows, np.cumsum(sizes)[:-1]):
        for p in model.parameters():
            p.grad = None
        loss_fn(model(X[part]), y[part])
        model.backward(loss_fn.backward())
        grads.append(_flat_grad(model))
    for p in model.parameters():
        p.grad = None
    loss_fn(model(X[rows]), y[rows])
    model.backward(loss_fn.backward())
    return float(np.abs(np.mean(grads, axis=0) - _flat_grad(model)).max())


def plot_equality(single: dict, parallel: dict, *, ax=None):
    """Two panels: the loss per step of one rank on 2B and of 2 ranks on B each, and |Δw| per step (log axis)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    t = np.arange(1, len(single["loss"]) + 1)
    ax[0].plot(t, single["loss"], lw=3, alpha=0.5, label="R = 1, batch 2B")
    ax[0].plot(t, parallel["loss"], "--", color="black", label="R = 2, batch B each")
    ax[0].set(title="The same loss curve", xlabel="step t", ylabel="training loss (mean over the global batch)")
    gap = np.abs(single["weights"] - parallel["weights"]).max(axis=1)
    ax[1].semilogy(t, np.maximum(gap, 1e-18), "o-", ms=3, label="max |w(R=1) − w(R=2)|")
    ax[1].axhline(np.finfo(float).eps, color="grey", ls=":", label="float64 machine epsilon")
    ax[1].semilogy(t, np.abs(single["weights"]).max(axis=1), color="grey", label="largest |w| itself")
    ax[1].set(title="The same weights, to rounding", xlabel="step t", ylabel="largest |Δw|, and |w| (log scale)",
              ylim=(1e-18, 1e2))
    for a in ax:
        a.legend(loc="center right")
    ax[0].figure.tight_layout()
    return ax


def plot_traffic(world_sizes: ArrayLike, M: int, *, ax=None):
    """Numbers through the busiest rank per all-reduce: the ring (each rank) against a parameter server (rank 0)."""
    ax = axes_or_current(ax)
    R = np.asarray(world_sizes)
    traffic = ring_traffic(R, M)
    ax.plot(R, traffic["ring"] / M, "o-", label="ring: numbers each rank sends")
    ax.plot(R, traffic["server"] / M, "s-", label="parameter server: numbers rank 0 receives")
    ax.set(title=f"Traffic of one all-reduce of M = {M} numbers", xlabel="world size R",
           ylabel="numbers through the busiest rank, in units of M")
    ax.legend()
    return ax
