"""Self-checks of lesson 12, beyond one machine: the learner's per-rank sharding and ring all-reduce."""

from __future__ import annotations

from collections import Counter

import numpy as np

from course_lib.lessons.l12_beyond_one_machine.simulation import Network, rank_rows, ring_average, ring_traffic
from course_lib.numpy_nn.schedules import linear_warmup_lr
from course_lib.ui.checks import Harness, Hints, close
from course_lib.ui.predictions import Prediction


# =============================================================================================
# Section 1: data parallelism simulated in NumPy (helper A)
# =============================================================================================


predict_ring_traffic = Prediction(
    "how many numbers each rank sends in a ring all-reduce of M = 1,000,000 numbers on R = 8 ranks",
    truth=lambda: float(ring_traffic([8], 1_000_000)["ring"][0]), rtol=0.05,
)

SHARD_HINTS = Hints(
    task="Write `shard(indices, rank, world_size)`, which returns the rows of `indices` that rank `rank` of "
         "`world_size` ranks trains on, as torch's DistributedSampler deals them out.",
    idea="Every rank gets the same number of rows, ⌈n/R⌉: the list is first padded to a multiple of R by repeating "
         "its first rows, and then the rows are dealt out like cards, one to each rank in turn, keeping their order.",
    formula="pad to R·⌈n/R⌉ rows with indices[0], indices[1], … again; rank r takes rows r, r + R, r + 2R, … "
            "of the padded list.",
    code="`np.resize` repeats an array cyclically up to a given length; a slice with a start and a step deals "
         "out every R-th item.",
)


def shard_cases() -> list[tuple[np.ndarray, int]]:
    """(indices, world_size): permutations (so that order and positions matter) with and without padding."""
    rng = np.random.default_rng(12)
    return [(rng.permutation(n) + 100, R) for n, R in ((12, 3), (10, 4), (7, 2), (5, 1), (2, 3), (9, 2))]


def _shard_mistake(indices: np.ndarray, R: int, got: list) -> str:
    n, per_rank = len(indices), -(-len(indices) // R)
    rows = [np.asarray(g).reshape(-1) for g in got]
    if R > 1 and all(np.array_equal(rows[0], r) for r in rows):
        return ("every rank got the same rows: the shard must depend on the rank, so that the R ranks together "
                "cover the batch once.")
    if all(close(r, indices[k::R]) for k, r in enumerate(rows)):
        return (f"the shards have unequal sizes ({n} rows do not split evenly into {R}): without padding the ranks "
                "would take different numbers of steps and the average of their gradients would not be the "
                "batch's gradient; pad by repeating the first rows.")
    blocks = [np.resize(indices, per_rank * R)[k * per_rank:(k + 1) * per_rank] for k in range(R)]
    if all(close(r, b) for r, b in zip(rows, blocks)) or all(
            close(r, b) for r, b in zip(rows, np.array_split(indices, R))):
        return ("these are contiguous blocks; DistributedSampler deals the rows out in turn (strided), one to each "
                "rank, so that its shards match torch's exactly.")
    padded = np.resize(indices, per_rank * R)
    if all(close(r, np.arange(per_rank * R)[k::R] % n) for k, r in enumerate(rows)):
        return "these are positions in the list; return the rows themselves, the values of indices at those places."
    if all(close(np.sort(r), np.sort(padded[k::R])) for k, r in enumerate(rows)):
        return ("each rank has the right rows but in another order: keep the order of indices, which is the "
                "epoch's shuffle.")
    taken = np.concatenate(rows) if rows else np.array([])
    if not set(indices.tolist()) <= set(np.asarray(taken).tolist()):
        return ("some rows are left out: no rank takes them, so the model never learns from them; together the "
                "shards must cover every row.")
    counts, allowed = Counter(np.asarray(taken).tolist()), Counter(padded.tolist())
    if len(taken) > per_rank * R or any(counts[row] > allowed[row] for row in counts):
        return ("the shards overlap: some rows are trained on by two ranks, so they count twice in the averaged "
                "gradient. Each row belongs to exactly one rank (only the padding repeats rows).")
    return ""


def check_shard(shard) -> None:
    """``shard(indices, rank, world_size)`` must return torch's DistributedSampler shard (padding, strided)."""
    cases = shard_cases()
    with Harness(shard, SHARD_HINTS) as harness:
        for indices, R in cases:
            answers, got = [], []
            for rank in range(R):
                expected = rank_rows(indices, rank, R)
                answer = harness.call(indices, rank, R)
                got.append(answer.numbers(expected, lead="Return an array of row numbers."))
                answers.append((answer, expected))
            for (answer, expected), value in zip(answers, got):
                if not close(value, expected):
                    answer.fail(expected, why=_shard_mistake(indices, R, got))
        harness.passed(len(cases))


RING_HINTS = Hints(
    task="Write `ring_all_reduce(grads, net)`, which averages the R rows of `grads` (rank r's gradient is row r) "
         "by a ring all-reduce through the simulated network `net`, and returns every rank's result, one row each.",
    idea="A rank only knows its own gradient; what it learns of the others comes through messages to its right "
         "neighbour. Cut each vector into R chunks. Reduce-scatter: R − 1 steps, in each every rank sends one chunk "
         "to its right neighbour, who adds it into its own, and passes on next step the chunk it has just added "
         "into. All-gather: R − 1 more steps, in which the finished chunks travel round the same way and overwrite. "
         "Then every rank divides by R.",
    formula="reduce-scatter step t: rank r sends chunk (r − t) mod R to rank (r + 1) mod R; all-gather step t: rank "
            "r sends chunk (r + 1 − t) mod R. Each rank sends 2(R − 1) chunks of about M/R numbers.",
    code="`net.send(src, dst, chunk, values)` queues a message and `net.step()` delivers the queued ones, returning "
         "each rank's inbox of (chunk, values) pairs; keep each rank's chunks in a list of its own.",
)


def ring_cases() -> list[np.ndarray]:
    """Gradients of R ranks, M numbers each: R = 1, 2, 3, 5 and 4, M divisible by R and not."""
    rng = np.random.default_rng(21)
    return [rng.normal(size=(R, M)) for R, M in ((3, 7), (2, 6), (1, 5), (5, 12), (4, 10))]


def _traffic_mistake(net: Network, M: int) -> str:
    R, largest = net.world_size, -(-M // net.world_size)
    if R == 1:
        return ""
    if net.messages == 0:
        return ("nothing went through the network: a rank only holds its own gradient, so averaging every rank's "
                "data at once is what no real rank can do. Send the chunks round the ring.")
    messages = [m for step in net.log for m in step]
    not_a_ring = any(dst != (src + 1) % R for src, dst, _, _ in messages)
    if not_a_ring and all(0 in (src, dst) for src, dst, _, _ in messages) and net.received[0] >= (R - 1) * M:
        return (f"everything went through rank 0, a parameter server: it received {net.received[0]} numbers, "
                f"(R − 1)·M, a load that grows with R. In a ring each rank sends only to its right neighbour.")
    for t, step in enumerate(net.log):
        if any(dst != (src + 1) % R for src, dst, _, _ in step):
            return (f"at step {t} a rank sent to a rank other than its right neighbour: in the ring, rank r sends "
                    "only to rank (r + 1) mod R.")
        if sorted(src for src, _, _, _ in step) != list(range(R)):
            return f"at step {t} not every rank sent exactly one chunk: in each step of the ring, every rank sends one."
        if any(n > largest for _, _, _, n in step):
            return (f"at step {t} a message carried more than one chunk (more than ⌈M/R⌉ = {largest} numbers): cut "
                    "each vector into R chunks and send one per step.")
        if t > 0:
            got_before = {dst: chunk for _, dst, chunk, _ in net.log[t - 1]}
            if any(chunk != got_before[src] for src, _, chunk, _ in step):
                return (f"at step {t} a rank sent a chunk other than the one it received at step {t - 1}: the chunk "
                        "index is off. Each rank passes on the chunk it has just added into (or just received).")
    if net.steps == R - 1:
        return ("only the reduce-scatter was done: after it each rank holds just one finished chunk of the sum. The "
                "all-gather's R − 1 steps carry the finished chunks round to every rank.")
    if net.steps != 2 * (R - 1):
        return f"the ring took {net.steps} steps; a ring all-reduce takes 2(R − 1) = {2 * (R - 1)}."
    return ""


def check_ring_all_reduce(ring_all_reduce) -> None:
    """``ring_all_reduce(grads, net)`` must return the average on every rank, sent round the ring in 2(R − 1) steps."""
    cases = ring_cases()
    with Harness(ring_all_reduce, RING_HINTS) as harness:
        for grads in cases:
            R, M = grads.shape
            expected = ring_average(grads, Network(R))
            net = Network(R)
            answer = harness.call(grads, net, shared=(1,))
            got = answer.array(expected, lead=f"Return an array of shape ({R}, {M}): row r is rank r's average.")
            why = _traffic_mistake(net, M)
            if why:
                answer.fail(expected, why=why)
            if not close(got, expected):
                if close(got, expected * R):
                    why = ("this is the sum of the gradients, not their average: the step must not grow with the "
                           "number of ranks, so every rank divides the sum by R.")
                elif not all(close(row, got[0]) for row in got):
                    why = ("the ranks ended with different results: every rank must take the same step, or the "
                           "model's copies drift apart.")
                answer.fail(expected, why=why)
        harness.passed(len(cases))


# =============================================================================================
# Sections 2-4: the proof, the engine, the cost (helper B)
# =============================================================================================

predict_ddp_steps = Prediction(
    "how many optimizer steps one epoch takes when 2 processes train with batch 32 each on 1024 images",
    truth=lambda: 1024 / (2 * 32), rtol=0.0,
)


SCALED_LR_HINTS = Hints(
    task="Write `scaled_lr(base_lr, world_size, step, warmup_steps)`, which returns the learning rate of step `step` "
         "(counted from 0) for R = `world_size` processes: the linear scaling rule with a linear warm-up.",
    idea="A global batch R times larger takes R times fewer steps per epoch, so each step should go R times as far: "
         "the target rate is R·η. Jumping there at once is too bold while the gradient still changes fast, so the "
         "rate climbs in a straight line from η, the one-process rate, at step 0, to R·η at step `warmup_steps`, "
         "and stays there.",
    formula="lr(t) = η + (R·η − η) · min(t, T_w) / T_w, with η = base_lr, R = world_size, T_w = warmup_steps.",
    code="`min(step, warmup_steps) / warmup_steps` is the fraction of the warm-up done: 0 at the start, 1 from the "
         "end of the warm-up on.",
)


def scaled_lr_cases() -> list[tuple[float, int, int]]:
    """(base_lr, world_size, warmup_steps): one process, several, a one-step warm-up."""
    return [(0.1, 4, 5), (0.05, 8, 3), (0.2, 1, 4), (0.01, 2, 1), (0.3, 3, 6)]


def _scaled_lr_mistake(base_lr: float, R: int, warmup: int, curve: np.ndarray) -> str:
    if close(curve, np.full(len(curve), base_lr)):
        return ("the rate stays η: with R processes an epoch has R times fewer steps, each on R times more samples, "
                "so the same η moves the weights R times less far per epoch. Scale it by R.")
    if close(curve, np.full(len(curve), R * base_lr)):
        return ("the rate is R·η from the first step: that is the target, but the warm-up must lead up to it, "
                "starting from η, the one-process rate.")
    if R > 1 and close(curve[-1], np.sqrt(R) * base_lr):
        return "the rate ends at √R·η: the linear rule scales by R itself (the square root is another, milder rule)."
    if close(curve[0], 0.0):
        return ("the warm-up starts at zero: a first step of zero learns nothing; it starts at η, the rate one "
                "process would use, and climbs to R·η.")
    if close(curve[1:], [linear_warmup_lr(t, R * base_lr, warmup, 1 / R) for t in range(len(curve) - 1)]) or close(
            curve[:-1], [linear_warmup_lr(t, R * base_lr, warmup, 1 / R) for t in range(1, len(curve))]):
        return "the warm-up is one step early or late: at step 0 the rate is η, at step `warmup_steps` it is R·η."
    if len(curve) > warmup + 1 and curve[-1] > curve[warmup] * (1 + 1e-9):
        return "the rate keeps climbing after the warm-up: from step `warmup_steps` on it stays at R·η."
    return ""


def check_scaled_lr(scaled_lr) -> None:
    """``scaled_lr(base_lr, world_size, step, warmup_steps)``: η warmed up linearly to R·η over ``warmup_steps``."""
    cases = scaled_lr_cases()
    with Harness(scaled_lr, SCALED_LR_HINTS) as harness:
        for base_lr, R, warmup in cases:
            steps = range(warmup + 3)
            expected = np.array([linear_warmup_lr(t, R * base_lr, warmup, 1 / R) for t in steps])
            answers = [harness.call(base_lr, R, t, warmup) for t in steps]
            curve = np.array([a.number(e) for a, e in zip(answers, expected)])
            for answer, value, right in zip(answers, curve, expected):
                if not close(value, right):
                    answer.fail(right, why=_scaled_lr_mistake(base_lr, R, warmup, curve))
        harness.passed(len(cases))
