"""course_lib.torch_nn.checkpoint: resuming gives the uninterrupted run's weights; bad files fail clearly."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from course_lib.history import History
from course_lib.torch_nn import MLP, SGD, AdamW, CrossEntropyLoss, StepLR, WarmupCosineLR, fit
from course_lib.torch_nn.checkpoint import CheckpointError, Checkpointer, load_checkpoint, save_checkpoint

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


@pytest.fixture(scope="module")
def data():
    """A small, learnable 3-class problem: 256 points in 8 dimensions."""
    gen = np.random.default_rng(0)
    X = gen.normal(size=(256, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
    return X, y


def build(seed: int, device: str = "cpu"):
    """The run's objects, built the same way each time; dropout makes torch's RNG matter."""
    torch.manual_seed(seed)
    model = MLP([8, 16, 16, 3], dropout=0.3).to(device)
    optimizer = AdamW(model.parameters(), lr=0.01)
    scheduler = WarmupCosineLR(optimizer, warmup_steps=2, total_steps=6)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, data, rng, epochs, device, callbacks=()):
    return fit(model, CrossEntropyLoss(), optimizer, data, val=data, epochs=epochs, batch_size=32, rng=rng,
               scheduler=scheduler, progress=False, device=device, callbacks=callbacks)


@pytest.mark.parametrize("device", DEVICES)
def test_resuming_gives_exactly_the_uninterrupted_run(data, tmp_path, device):
    model, optimizer, scheduler = build(0, device)
    full = train(model, optimizer, scheduler, data, np.random.default_rng(1), 6, device)

    first, opt1, sched1 = build(0, device)
    rng = np.random.default_rng(1)
    before = train(first, opt1, sched1, data, rng, 3, device)
    save_checkpoint(tmp_path / "run.pt", model=first, optimizer=opt1, scheduler=sched1, epoch=3, rng=rng, history=before)

    torch.manual_seed(123)  # a different global random state, which the checkpoint must undo
    fresh, opt2, sched2 = build(7, device)
    epoch, rng2, history = load_checkpoint(tmp_path / "run.pt", model=fresh, optimizer=opt2, scheduler=sched2)
    assert epoch == 3 and isinstance(rng2, np.random.Generator)
    np.testing.assert_array_equal(history.train_loss, before.train_loss)
    after = train(fresh, opt2, sched2, data, rng2, 3, device)

    for key, value in model.state_dict().items():
        assert torch.equal(value, fresh.state_dict()[key]), key
    np.testing.assert_array_equal(np.concatenate([before.train_loss, after.train_loss]), full.train_loss)
    np.testing.assert_array_equal(np.concatenate([before.step_series("loss"), after.step_series("loss")]),
                                  full.step_series("loss"))
    assert opt2.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


def test_without_the_optimizer_state_the_resumed_run_differs(data, tmp_path):
    """The control experiment: restoring only the weights is not a resume."""
    model, optimizer, scheduler = build(0)
    full = train(model, optimizer, scheduler, data, np.random.default_rng(1), 6, "cpu")
    first, opt1, sched1 = build(0)
    rng = np.random.default_rng(1)
    train(first, opt1, sched1, data, rng, 3, "cpu")
    torch_state = torch.get_rng_state()
    fresh, opt2, sched2 = build(0)
    fresh.load_state_dict(first.state_dict())
    sched2.load_state_dict(sched1.state_dict())
    torch.set_rng_state(torch_state)  # everything restored but AdamW's t, m and v
    after = train(fresh, opt2, sched2, data, rng, 3, "cpu")
    assert not torch.equal(fresh.state_dict()["0.weight"], model.state_dict()["0.weight"])
    assert after.train_loss[-1] != full.train_loss[-1]


def test_every_piece_of_state_comes_back(tmp_path):
    model, optimizer, scheduler = build(0)
    rng = np.random.default_rng(5)
    rng.random(10)
    torch.manual_seed(42)
    history = History()
    history.log_epoch(train_loss=0.5, val_acc=0.9)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler, epoch=2, rng=rng, history=history)
    expected_draws, expected_torch = rng.random(3), torch.rand(3)

    torch.manual_seed(0)
    other, opt, sched = build(1)
    epoch, restored, loaded = load_checkpoint(tmp_path / "c.pt", model=other, optimizer=opt, scheduler=sched)
    assert epoch == 2 and loaded.to_dict() == history.to_dict()
    np.testing.assert_array_equal(restored.random(3), expected_draws)
    assert torch.equal(torch.rand(3), expected_torch), "torch's global generator is restored"
    assert sched.state_dict()["last_epoch"] == scheduler.state_dict()["last_epoch"]


def test_no_history_and_no_scheduler_round_trip(tmp_path):
    torch.manual_seed(0)
    model = MLP([4, 3])
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, epoch=0, rng=np.random.default_rng(0))
    other = MLP([4, 3])
    epoch, _, history = load_checkpoint(tmp_path / "c.pt", model=other, optimizer=SGD(other.parameters(), lr=0.1))
    assert epoch == 0 and history is None
    assert torch.equal(other[0].weight, model[0].weight)


def test_the_file_is_written_atomically(tmp_path, monkeypatch):
    model, optimizer, scheduler = build(0)
    path = tmp_path / "c.pt"
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, epoch=1, rng=np.random.default_rng(0))
    good = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, epoch=2, rng=np.random.default_rng(0))
    assert path.read_bytes() == good, "a failed save leaves the previous checkpoint intact"
    assert os.listdir(tmp_path) == ["c.pt"], "no temporary file is left behind"


def test_missing_and_corrupt_files_fail_clearly(tmp_path):
    model, optimizer, scheduler = build(0)
    with pytest.raises(FileNotFoundError, match="No checkpoint at"):
        load_checkpoint(tmp_path / "nope.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    (tmp_path / "junk.pt").write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    save_checkpoint(tmp_path / "good.pt", model=model, optimizer=optimizer, scheduler=scheduler, epoch=1,
                    rng=np.random.default_rng(0))
    (tmp_path / "cut.pt").write_bytes((tmp_path / "good.pt").read_bytes()[:300])
    with pytest.raises(CheckpointError, match="damaged or cut short"):
        load_checkpoint(tmp_path / "cut.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    with pytest.raises(CheckpointError, match="not a course_lib training checkpoint"):
        load_checkpoint(tmp_path / "weights.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)


def test_a_model_that_does_not_fit_is_named_and_left_unchanged(tmp_path):
    model, optimizer, scheduler = build(0)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler, epoch=1, rng=np.random.default_rng(0))

    wider = MLP([8, 32, 16, 3], dropout=0.3)
    before = {k: v.clone() for k, v in wider.state_dict().items()}
    opt = AdamW(wider.parameters(), lr=0.01)
    with pytest.raises(CheckpointError, match=r"0\.weight.*\(16, 8\).*\(32, 8\)"):
        load_checkpoint(tmp_path / "c.pt", model=wider, optimizer=opt, scheduler=WarmupCosineLR(opt, 2, 6))
    assert all(torch.equal(v, before[k]) for k, v in wider.state_dict().items())

    shallower = MLP([8, 16, 3], dropout=0.3)
    opt = AdamW(shallower.parameters(), lr=0.01)
    with pytest.raises(CheckpointError, match=r"in the file but not in the model: \['6.bias', '6.weight'\]"):
        load_checkpoint(tmp_path / "c.pt", model=shallower, optimizer=opt, scheduler=WarmupCosineLR(opt, 2, 6))


def test_optimizer_and_scheduler_must_match_the_saved_ones(tmp_path):
    model, optimizer, scheduler = build(0)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler, epoch=1, rng=np.random.default_rng(0))
    other, _, _ = build(1)
    sgd = SGD(other.parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match="AdamW optimizer, but a SGD"):
        load_checkpoint(tmp_path / "c.pt", model=other, optimizer=sgd, scheduler=WarmupCosineLR(sgd, 2, 6))
    adamw = AdamW(other.parameters(), lr=0.01)
    with pytest.raises(CheckpointError, match="pass scheduler="):
        load_checkpoint(tmp_path / "c.pt", model=other, optimizer=adamw)
    with pytest.raises(CheckpointError, match="WarmupCosineLR scheduler's state, but a StepLR"):
        load_checkpoint(tmp_path / "c.pt", model=other, optimizer=adamw, scheduler=StepLR(adamw, 2))
    groups = AdamW([{"params": list(other.parameters())[:2]}, {"params": list(other.parameters())[2:]}], lr=0.01)
    with pytest.raises(CheckpointError, match="parameter groups of sizes"):
        load_checkpoint(tmp_path / "c.pt", model=other, optimizer=groups, scheduler=WarmupCosineLR(groups, 2, 6))
    save_checkpoint(tmp_path / "plain.pt", model=model, optimizer=optimizer, epoch=1, rng=np.random.default_rng(0))
    with pytest.raises(CheckpointError, match="saved without a learning-rate scheduler"):
        load_checkpoint(tmp_path / "plain.pt", model=other, optimizer=adamw, scheduler=StepLR(adamw, 2))


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"epoch": -1}, ValueError, "epoch must be a whole number >= 0"),
        ({"epoch": 1.5}, ValueError, "epoch must be a whole number"),
        ({"rng": 0}, TypeError, "rng must be the numpy.random.Generator"),
        ({"history": {"epochs": []}}, TypeError, "history must be a course_lib History"),
    ],
)
def test_save_refuses_bad_arguments(tmp_path, changes, error, message):
    model, optimizer, scheduler = build(0)
    arguments = dict(model=model, optimizer=optimizer, scheduler=scheduler, epoch=1, rng=np.random.default_rng(0))
    with pytest.raises(error, match=message):
        save_checkpoint(tmp_path / "c.pt", **{**arguments, **changes})


def test_save_needs_an_existing_folder_and_a_file_name(tmp_path):
    model, optimizer, _ = build(0)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_checkpoint(tmp_path / "missing" / "c.pt", model=model, optimizer=optimizer, epoch=0, rng=np.random.default_rng(0))
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save_checkpoint(tmp_path, model=model, optimizer=optimizer, epoch=0, rng=np.random.default_rng(0))


def test_checkpointer_saves_every_epoch_and_keeps_the_whole_history(data, tmp_path):
    model, optimizer, scheduler = build(0)
    rng = np.random.default_rng(1)
    earlier = History()
    earlier.log_epoch(train_loss=9.0)
    saver = Checkpointer(tmp_path / "c.pt", optimizer=optimizer, scheduler=scheduler, rng=rng, history=earlier, start_epoch=1)
    history = train(model, optimizer, scheduler, data, rng, 2, "cpu", callbacks=[saver])
    assert saver.epoch == 3 and len(saver.history) == 3 and len(earlier) == 1
    np.testing.assert_array_equal(saver.history.train_loss[1:], history.train_loss)
    other, opt, sched = build(1)
    epoch, _, saved = load_checkpoint(tmp_path / "c.pt", model=other, optimizer=opt, scheduler=sched)
    assert epoch == 3 and saved.to_dict() == saver.history.to_dict()
    assert torch.equal(other[0].weight, model[0].weight)


@pytest.mark.cuda
def test_a_cpu_checkpoint_resumes_on_cuda(data, tmp_path):
    model, optimizer, scheduler = build(0, "cpu")
    rng = np.random.default_rng(1)
    train(model, optimizer, scheduler, data, rng, 2, "cpu")
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler, epoch=2, rng=rng)
    gpu, opt, sched = build(1, "cuda")
    load_checkpoint(tmp_path / "c.pt", model=gpu, optimizer=opt, scheduler=sched)
    state = opt.state[next(gpu.parameters())]
    assert state["m"].device.type == "cuda" and state["t"] == optimizer.state[next(model.parameters())]["t"]
    train(gpu, opt, sched, data, rng, 1, "cuda")  # trains on without a device mismatch
