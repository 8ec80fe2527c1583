"""course_lib.torch_nn.checkpoint: resuming gives the uninterrupted run's weights; bad files fail clearly."""

from __future__ import annotations

import copy
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


# ---- malformed checkpoints: refused before anything changes ------------------------------------


def stepped(seed: int):
    """build(seed) after one optimizer and scheduler step, so that every piece has state to lose."""
    model, optimizer, scheduler = build(seed)
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    CrossEntropyLoss()(model(x), y).backward()
    optimizer.step()
    scheduler.step()
    return model, optimizer, scheduler


def clone(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clone(v) for v in value)
    return copy.deepcopy(value)


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def everything(model, optimizer, scheduler) -> dict:
    """All that a load may change: the three objects' states and both global random generators."""
    return clone({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                  "torch_rng": torch.get_rng_state(), "numpy_global_rng": np.random.get_state(legacy=False)})


def put(key, value):
    return lambda s: s.__setitem__(key, value)


def drop(key):
    return lambda s: s.pop(key)


def at(*path_and_value):
    """Set s[path...] = value, e.g. at("optimizer", "param_groups", 0, "lr", "fast")."""
    *path, last, value = path_and_value

    def change(s):
        for step in path:
            s = s[step]
        s[last] = value
    return change


def without(*path_and_key):
    *path, key = path_and_key

    def change(s):
        for step in path:
            s = s[step]
        del s[key]
    return change


def replace_state(s):
    s.clear()
    s["format"] = "course_lib.torch_nn.checkpoint/1"


ENTRIES = ["epoch", "model", "model_class", "optimizer", "optimizer_class", "scheduler", "scheduler_class",
           "numpy_rng", "torch_rng", "cuda_rng", "history"]

# (case, how a good checkpoint's dict is damaged in place, what the error says)
MALFORMED_CHECKPOINTS = [
    ("only the format", replace_state, r"it lacks \['epoch', 'model', "),
    *[(f"no {key}", drop(key), rf"it lacks \['{key}'\]") for key in ENTRIES],
    ("another format", put("format", "course_lib.torch_nn.checkpoint/0"), "not a course_lib training checkpoint"),
    ("epoch as text", put("epoch", "3"), "'epoch' holds a str, where save_checkpoint writes int"),
    ("epoch as a bool", put("epoch", True), "'epoch' holds a bool"),
    ("epoch as a float", put("epoch", 2.0), "'epoch' holds a float"),
    ("a negative epoch", put("epoch", -1), "'epoch' is -1"),
    ("model_class a number", put("model_class", 5), "'model_class' holds an int, where save_checkpoint writes str or None"),
    ("optimizer_class None", put("optimizer_class", None), "'optimizer_class' holds None, where save_checkpoint writes str"),
    ("numpy_rng as text", put("numpy_rng", "PCG64"), "'numpy_rng' holds a str"),
    ("torch_rng a list", put("torch_rng", [1, 2, 3]), "'torch_rng' holds a list"),
    ("cuda_rng a tensor", put("cuda_rng", torch.zeros(16, dtype=torch.uint8)), "'cuda_rng' holds a Tensor"),
    ("history a list", put("history", [1.0, 0.5]), "'history' holds a list"),
    ("history with a word for a loss", at("history", "epochs", [{"train_loss": "low"}]), "'history' cannot be read back"),
    ("history epochs a number", at("history", "epochs", 5), "'history' cannot be read back"),
    ("history steps not rows", at("history", "steps", [[1, 2]]), "'history' cannot be read back"),
    ("history with an empty epoch", at("history", "epochs", [{}]), "'history' cannot be read back"),
    ("torch_rng cut short", put("torch_rng", torch.zeros(10, dtype=torch.uint8)), "random state for cpu is not one torch can restore"),
    ("torch_rng of floats", put("torch_rng", torch.zeros(5056)), "random state for cpu is not one torch can restore"),
    ("cuda_rng of numbers", put("cuda_rng", [5]), "'cuda_rng' is not a list of random states"),
    ("bit_generator 'seed'", at("numpy_rng", "bit_generator", "seed"), r"names the bit generator 'seed'; expected one of \['PCG64'"),
    ("bit_generator 'default_rng'", at("numpy_rng", "bit_generator", "default_rng"), "names the bit generator 'default_rng'"),
    ("bit_generator 'RandomState'", at("numpy_rng", "bit_generator", "RandomState"), "names the bit generator 'RandomState'"),
    ("bit_generator 'get_state'", at("numpy_rng", "bit_generator", "get_state"), "names the bit generator 'get_state'"),
    ("bit_generator a list", at("numpy_rng", "bit_generator", ["PCG64"]), r"names the bit generator \['PCG64'\]"),
    ("no bit_generator", without("numpy_rng", "bit_generator"), "names the bit generator None"),
    ("a PCG64 state of text", at("numpy_rng", "state", {"state": "x", "inc": 1}), "'numpy_rng' is not a valid PCG64 state"),
    ("a PCG64 state called MT19937", at("numpy_rng", "bit_generator", "MT19937"), "'numpy_rng' is not a valid MT19937 state"),
    ("a weight as a list", lambda s: s["model"].__setitem__("0.weight", s["model"]["0.weight"].tolist()), "'0.weight' holds list"),
    ("a weight of integers", lambda s: s["model"].__setitem__("0.weight", torch.zeros(16, 8, dtype=torch.int64)), "'0.weight' holds torch.int64"),
    ("a weight of another shape", at("model", "0.weight", torch.zeros(32, 8)), r"0\.weight: the file .* holds shape \(32, 8\)"),
    ("a weight missing", without("model", "0.weight"), r"Missing from the file: \['0.weight'\]"),
    ("a moment of the wrong shape", at("optimizer", "state", 0, "m", torch.zeros(3)),
     r"the optimizer's 'm' of parameter 0 is a torch.float32 tensor of shape \(3,\), but the parameter is torch.float32 of shape \(16, 8\)"),
    ("a moment of integers", at("optimizer", "state", 0, "v", torch.zeros(16, 8, dtype=torch.int64)), "'v' of parameter 0 is a torch.int64 tensor"),
    ("a moment as text", at("optimizer", "state", 0, "m", "zeros"), "'m' of parameter 0 is a str, not a tensor or a number"),
    ("state for parameter 99", at("optimizer", "state", 99, {"t": 1}), "holds state for parameter 99, which its groups do not list"),
    ("a parameter's state a number", at("optimizer", "state", 0, 5), "the optimizer's state of parameter 0 is an int, not a dict"),
    ("a group without lr", without("optimizer", "param_groups", 0, "lr"), r"param_groups\[0\] has the keys"),
    ("lr as text", at("optimizer", "param_groups", 0, "lr", "fast"), r"param_groups\[0\]\['lr'\] holds a str, expected a float"),
    ("three betas", at("optimizer", "param_groups", 0, "betas", (0.9, 0.99, 0.999)), r"\['betas'\] has length 3, expected 2"),
    ("amsgrad as a number", at("optimizer", "param_groups", 0, "amsgrad", 0), r"\['amsgrad'\] holds an int, expected a bool"),
    ("parameter ids that repeat", at("optimizer", "param_groups", 0, "params", [0] * 6), "parameter ids .* repeat"),
    ("an optimizer without state", without("optimizer", "state"), "'optimizer' is not an optimizer's state_dict"),
    ("param_groups a dict", at("optimizer", "param_groups", {}), "'optimizer' is not an optimizer's state_dict"),
    ("a scheduler without last_epoch", without("scheduler", "last_epoch"), "'scheduler' has the keys"),
    ("a scheduler with an optimizer in it", at("scheduler", "optimizer", "x"), "'scheduler' has the keys"),
    ("one scheduler of the two", lambda s: s["scheduler"]["_schedulers"].pop(), r"'scheduler'\['_schedulers'\] has length 1, expected 2"),
    ("last_epoch as text", at("scheduler", "last_epoch", "two"), r"'scheduler'\['last_epoch'\] holds a str, expected an int"),
    ("no scheduler state but its class", put("scheduler", None), "'scheduler' holds None, expected a dict"),
]


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    model, optimizer, scheduler = stepped(0)
    history = History()
    history.log_step(loss=1.0)
    history.log_epoch(train_loss=0.5)
    path = tmp_path_factory.mktemp("good") / "c.pt"
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, epoch=1, rng=np.random.default_rng(3), history=history)
    return path


@pytest.mark.parametrize(("damage", "words"), [c[1:] for c in MALFORMED_CHECKPOINTS], ids=[c[0] for c in MALFORMED_CHECKPOINTS])
def test_a_malformed_checkpoint_is_refused_before_anything_changes(good_checkpoint, tmp_path, damage, words):
    state = torch.load(good_checkpoint, weights_only=True)
    damage(state)
    torch.save(state, tmp_path / "bad.pt")
    model, optimizer, scheduler = stepped(1)
    np.random.seed(12345)  # the global NumPy generator, which a checkpoint must never touch
    before = everything(model, optimizer, scheduler)
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(tmp_path / "bad.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    assert same(everything(model, optimizer, scheduler), before), "a refused checkpoint changed something"


def test_the_good_checkpoint_of_the_table_loads(good_checkpoint, tmp_path):
    """The control: the table's checkpoint, loaded and saved again unchanged, loads and changes the objects."""
    torch.save(torch.load(good_checkpoint, weights_only=True), tmp_path / "same.pt")
    model, optimizer, scheduler = stepped(1)
    before = everything(model, optimizer, scheduler)
    epoch, _, history = load_checkpoint(tmp_path / "same.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    assert epoch == 1 and history.train_loss.tolist() == [0.5]
    assert not same(everything(model, optimizer, scheduler)["model"], before["model"])


@pytest.mark.parametrize("name", ["PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"])
def test_every_bit_generator_round_trips(tmp_path, name):
    model, optimizer, scheduler = build(0)
    rng = np.random.Generator(getattr(np.random, name)(7))
    rng.random(5)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler, epoch=0, rng=rng)
    _, restored, _ = load_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    assert type(restored.bit_generator).__name__ == name
    np.testing.assert_array_equal(restored.random(4), rng.random(4))


def test_a_bare_state_dict_gets_a_hint_that_works_and_never_unpickles(tmp_path):
    model, optimizer, scheduler = build(0)
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    with pytest.raises(CheckpointError, match=r"model\.load_state_dict\(torch\.load\(path, weights_only=True\)\)"):
        load_checkpoint(tmp_path / "weights.pt", model=model, optimizer=optimizer, scheduler=scheduler)
    path = tmp_path / "weights.pt"
    other = build(1)[0]
    other.load_state_dict(torch.load(path, weights_only=True))  # the hint, as written
    assert torch.equal(other[0].weight, model[0].weight)
