"""Lesson 12, section 1 (data parallelism simulated): the two checks' named wrong answers, the library code's
behaviour and refusals (torch's DistributedSampler as the oracle of the sharding), and what the prose says."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from torch.utils.data import DistributedSampler  # noqa: E402

from course_lib.lessons.l12_beyond_one_machine.checks import (  # noqa: E402
    check_ring_all_reduce, check_shard, predict_ring_traffic, ring_cases, shard_cases,
)
from course_lib.lessons.l12_beyond_one_machine.simulation import (  # noqa: E402
    Network, plot_equality, plot_traffic, rank_rows, ring_average, ring_traffic, server_average, shard_mean_gap,
    train_data_parallel,
)

# ---- exercise 1: shard, the right one and the typical mistakes ------------------------------------------


def shard(indices, rank, world_size):
    per_rank = -(-len(indices) // world_size)
    return np.resize(indices, per_rank * world_size)[rank::world_size]


def unpadded(indices, rank, world_size):
    return indices[rank::world_size]


def contiguous(indices, rank, world_size):
    per_rank = -(-len(indices) // world_size)
    return np.resize(indices, per_rank * world_size)[rank * per_rank:(rank + 1) * per_rank]


def contiguous_split(indices, rank, world_size):
    return np.array_split(indices, world_size)[rank]


def ignores_rank(indices, rank, world_size):
    return shard(indices, 0, world_size)


def sorted_rows(indices, rank, world_size):
    return np.sort(shard(indices, rank, world_size))


def positions(indices, rank, world_size):
    per_rank = -(-len(indices) // world_size)
    return np.arange(per_rank * world_size)[rank::world_size] % len(indices)


def leaves_rows_out(indices, rank, world_size):  # equal shards by dropping the tail, without saying so
    per_rank = len(indices) // world_size
    return indices[: per_rank * world_size][rank::world_size]


def overlapping(indices, rank, world_size):  # windows of ⌈n/R⌉ rows that start n//R apart, the last one at the end
    n, per_rank = len(indices), -(-len(indices) // world_size)
    start = n - per_rank if rank == world_size - 1 else rank * (n // world_size)
    return np.resize(indices[max(start, 0):start + per_rank], per_rank)


@pytest.mark.parametrize("wrong, words", [
    (unpadded, "unequal sizes"),
    (contiguous, "contiguous blocks"),
    (contiguous_split, "contiguous blocks"),
    (ignores_rank, "every rank got the same rows"),
    (sorted_rows, "another order"),
    (positions, "positions"),
    (leaves_rows_out, "left out"),
    (overlapping, "overlap"),
], ids=lambda v: getattr(v, "__name__", v))
def test_check_shard_names_each_mistake(assert_teaches, wrong, words):
    assert_teaches(check_shard, shard, wrong, words)


def test_the_shard_cases_need_padding_and_strides():
    cases = shard_cases()
    assert any(len(indices) % R for indices, R in cases)  # padding matters
    assert any(len(indices) < R for indices, R in cases)  # more padding than rows: the repeat goes round
    assert any(R == 1 for _, R in cases)
    assert all(not np.array_equal(indices, np.sort(indices)) for indices, R in cases if len(indices) > 2)


# ---- exercise 2: ring_all_reduce, the right one and the typical mistakes ---------------------------------


def _ring(grads, net, *, to=1, offset=lambda r, step: r - step, gather=True, divide=True):
    R = len(grads)
    chunks = [np.array_split(g, R) for g in grads]
    for step in range(R - 1):
        for r in range(R):
            c = offset(r, step) % R
            net.send(r, (r + to) % R, c, chunks[r][c])
        for r, inbox in enumerate(net.step()):
            for c, values in inbox:
                chunks[r][c] = chunks[r][c] + values
    for step in range(R - 1 if gather else 0):
        for r in range(R):
            c = (offset(r, step) + 1) % R if to == 1 else (offset(r, step) - 1) % R
            net.send(r, (r + to) % R, c, chunks[r][c])
        for r, inbox in enumerate(net.step()):
            for c, values in inbox:
                chunks[r][c] = values
    return np.stack([np.concatenate(own) / (R if divide else 1) for own in chunks])


def ring_all_reduce(grads, net):
    return _ring(grads, net)


def sum_not_divided(grads, net):
    return _ring(grads, net, divide=False)


def reduce_scatter_only(grads, net):
    return _ring(grads, net, gather=False)


def left_neighbour(grads, net):
    return _ring(grads, net, to=-1, offset=lambda r, step: r + step)


def parameter_server(grads, net):
    return server_average(grads, net)


def plain_mean(grads, net):
    return np.tile(np.mean(grads, axis=0), (len(grads), 1))


def off_by_one_chunk(grads, net):
    return _ring(grads, net, offset=lambda r, step: r + step)


def whole_vectors_round_the_ring(grads, net):  # R − 1 steps, each passing a whole vector on
    R = len(grads)
    total, passing = [g.copy() for g in grads], [g.copy() for g in grads]
    for _ in range(R - 1):
        for r in range(R):
            net.send(r, (r + 1) % R, 0, passing[r])
        for r, inbox in enumerate(net.step()):
            passing[r] = inbox[0][1]
            total[r] = total[r] + passing[r]
    return np.stack(total) / R


@pytest.mark.parametrize("wrong, words", [
    (sum_not_divided, "sum of the gradients, not their average"),
    (reduce_scatter_only, "only the reduce-scatter"),
    (left_neighbour, "other than its right neighbour"),
    (parameter_server, "parameter server"),
    (plain_mean, "nothing went through the network"),
    (off_by_one_chunk, "the chunk index is off"),
    (whole_vectors_round_the_ring, "more than one chunk"),
], ids=lambda v: getattr(v, "__name__", v))
def test_check_ring_all_reduce_names_each_mistake(assert_teaches, wrong, words):
    assert_teaches(check_ring_all_reduce, ring_all_reduce, wrong, words)


def test_the_ring_cases_cover_one_rank_and_uneven_chunks():
    shapes = {g.shape for g in ring_cases()}
    assert {R for R, _ in shapes} >= {1, 2, 3, 5}
    assert any(M % R for R, M in shapes)
    assert all(g.dtype == np.float64 for g in ring_cases())


# ---- the library: rank_rows against torch's sampler, refusals ---------------------------------------------


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n", [1, 2, 5, 7, 10, 12, 13])
@pytest.mark.parametrize("R", [1, 2, 3, 4, 5])
def test_rank_rows_is_torchs_distributed_sampler(n, R, drop_last):
    if drop_last and n < R:
        with pytest.raises(ValueError, match="leaves no rows"):
            rank_rows(np.arange(n), 0, R, drop_last=True)
        return
    order = np.random.default_rng(n).permutation(n) + 7
    for rank in range(R):
        theirs = [int(order[i]) for i in DistributedSampler(range(n), num_replicas=R, rank=rank, shuffle=False,
                                                             drop_last=drop_last)]
        assert rank_rows(order, rank, R, drop_last=drop_last).tolist() == theirs


@pytest.mark.parametrize("args, words", [
    ((np.arange(5), 2, 2), "rank must be from 0 to world_size − 1"),
    ((np.arange(5), -1, 2), "rank must be a whole number"),
    ((np.arange(5), 0, 0), "world_size must be a whole number ≥ 1"),
    ((np.arange(5.0), 0, 2), "whole numbers"),
    ((np.arange(6).reshape(2, 3), 0, 2), "1-D"),
    ((np.array([], dtype=int), 0, 2), "non-empty"),
])
def test_rank_rows_refuses_bad_input_saying_what_to_do(args, words):
    with pytest.raises(ValueError, match=words):
        rank_rows(*args)


def test_the_network_delivers_copies_and_counts_them():
    net = Network(3)
    values = np.array([1.0, 2.0])
    net.send(0, 1, 4, values)
    values[:] = 0  # the message was a copy
    inbox = net.step()
    assert inbox[1][0][0] == 4 and inbox[1][0][1].tolist() == [1.0, 2.0] and inbox[0] == [] and inbox[2] == []
    assert net.sent.tolist() == [2, 0, 0] and net.received.tolist() == [0, 2, 0]
    assert net.steps == 1 and net.messages == 1 and net.log == [[(0, 1, 4, 2)]]


@pytest.mark.parametrize("call, words", [
    (lambda net: net.send(0, 3, 0, [1.0]), "dst must be a rank from 0 to 2"),
    (lambda net: net.send(-1, 1, 0, [1.0]), "src must be a rank"),
    (lambda net: net.send(0, 1, -2, [1.0]), "chunk must be a chunk number"),
    (lambda net: ring_average(np.zeros((2, 3)), net), "joins 3 ranks but grads has 2 rows"),
    (lambda net: ring_average(np.zeros(3), net), r"shape \(R, M\)"),
    (lambda net: server_average(np.zeros((4, 3)), net), "make Network"),
])
def test_the_network_refuses_bad_input_saying_what_to_do(call, words):
    with pytest.raises(ValueError, match=words):
        call(Network(3))


@pytest.mark.parametrize("R, M", [(1, 4), (2, 6), (3, 7), (4, 4), (5, 12), (8, 3), (6, 100)])
def test_ring_average_is_the_average_on_every_rank_sending_about_2_M_per_rank(R, M):
    grads = np.random.default_rng(R * M).normal(size=(R, M))
    net = Network(R)
    result = ring_average(grads, net)
    assert np.allclose(result, np.tile(grads.mean(axis=0), (R, 1)), rtol=0, atol=1e-14)
    assert net.steps == 2 * (R - 1) and net.messages == 2 * (R - 1) * R
    assert all(dst == (src + 1) % R for step in net.log for src, dst, _, _ in step)
    assert net.sent.sum() == 2 * (R - 1) * M  # every chunk goes round twice, less its home rank
    assert np.all(np.abs(net.sent - 2 * (R - 1) / R * M) <= 2 * (R - 1))  # ± the chunks' rounding
    assert check_ring_all_reduce(lambda g, n: ring_average(g, n)) is None


def test_the_parameter_server_loads_rank_0_with_R_minus_1_times_M():
    grads = np.random.default_rng(0).normal(size=(5, 10))
    net = Network(5)
    assert np.allclose(server_average(grads, net), grads.mean(axis=0))
    assert net.received[0] == 4 * 10 and net.sent[0] == 4 * 10 and net.steps == 2
    traffic = ring_traffic([1, 2, 4, 8], 1000)
    assert traffic["ring"].tolist() == [0, 1000, 1500, 1750] and traffic["server"].tolist() == [0, 1000, 3000, 7000]


def test_the_prediction_is_what_the_prose_says():
    assert predict_ring_traffic.truth() == 1_750_000


# ---- the proof in simulation, and what breaks it -----------------------------------------------------------


def test_two_ranks_on_B_give_one_rank_on_2B_weights_to_rounding():
    single = train_data_parallel(1, 16, 40)
    pair = train_data_parallel(2, 8, 40)
    four = train_data_parallel(4, 4, 40, all_reduce=server_average)
    assert np.abs(single["weights"] - pair["weights"]).max() < 1e-13
    assert np.abs(single["weights"] - four["weights"]).max() < 1e-13
    assert pair["spread"] == 0.0 and single["loss"][-1] < 0.1 < 1.2 < single["loss"][0]
    halved = train_data_parallel(2, 4, 40)  # a smaller global batch is a different run: the test can fail
    assert np.abs(single["weights"] - halved["weights"]).max() > 1e-3


def test_averaging_a_sum_or_unequal_shards_breaks_the_equality():
    single = train_data_parallel(1, 16, 10)
    summed = train_data_parallel(2, 8, 10, all_reduce=lambda g, net: ring_average(g, net) * 2)
    assert np.abs(single["weights"] - summed["weights"]).max() > 1e-2
    assert shard_mean_gap((8, 8)) < 1e-14 and shard_mean_gap((4, 4, 4, 4)) < 1e-14
    assert 0.05 < shard_mean_gap((12, 4)) < 1


def test_the_training_uses_the_shard_and_all_reduce_it_is_given():
    calls = []

    def spy(rows, rank, R):
        calls.append((len(rows), rank, R))
        return rank_rows(rows, rank, R)

    train_data_parallel(2, 8, 3, shard=spy)
    assert calls == [(16, 0, 2), (16, 1, 2)] * 3


def test_the_figures_have_titles_labels_and_legends():
    fig, ax = plt.subplots(1, 2)
    plot_equality(train_data_parallel(1, 16, 5), train_data_parallel(2, 8, 5), ax=ax)
    _, single = plt.subplots()
    plot_traffic([1, 2, 4], 60, ax=single)
    for a in (*ax, single):
        assert a.get_title() and a.get_xlabel() and a.get_ylabel() and a.get_legend() is not None
    assert ax[1].get_yscale() == "log"
    plt.close("all")
