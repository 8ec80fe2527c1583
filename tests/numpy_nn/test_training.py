"""The two training loops: they learn, they agree with each other, and they fail clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.data import make_moons, make_spirals, train_val_split
from course_lib.history import History
from course_lib.numpy_nn import losses as np_losses
from course_lib.numpy_nn import optimizers as np_optim
from course_lib.numpy_nn import schedules as np_schedules
from course_lib.numpy_nn.models import MLP as NumpyMLP
from course_lib.numpy_nn.regularization import EarlyStopping
from course_lib.numpy_nn.training import TrainingDivergedError, evaluate, fit
from course_lib.torch_nn import optimizers as torch_optim
from course_lib.torch_nn import training as torch_training
from course_lib.torch_nn.models import MLP, copy_weights_numpy_to_torch

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


@pytest.fixture
def moons():
    X, y = make_moons(400, noise=0.15, seed=0)
    return train_val_split(X, y, val_size=100, rng=np.random.default_rng(0))


def numpy_run(train, val, *, epochs=30, lr=0.1, seed=0, **kwargs) -> tuple[History, object]:
    rng = np.random.default_rng(seed)
    model = NumpyMLP((2, 16, 16, 2), activation="tanh", rng=rng)
    optimizer = np_optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = fit(model, np_losses.CrossEntropyLoss(), optimizer, train, val=val, epochs=epochs, batch_size=32, rng=rng, progress=False, **kwargs)
    return history, model


# ---- the NumPy loop ---------------------------------------------------------------------------


def test_numpy_fit_learns_the_moons(moons):
    train, val = moons
    history, model = numpy_run(train, val)
    assert history.metrics == ["train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
    assert len(history) == 30 and len(history.steps) == 30 * 10
    assert history.val_acc[-1] >= 0.95 and history.train_loss[-1] < history.train_loss[0] / 4
    assert evaluate(model, np_losses.CrossEntropyLoss(), val)["acc"] == pytest.approx(history.val_acc[-1])


def test_numpy_fit_repeats_for_a_seed_and_differs_across_seeds(moons):
    train, val = moons
    a, _ = numpy_run(train, val, epochs=3)
    b, _ = numpy_run(train, val, epochs=3)
    c, _ = numpy_run(train, val, epochs=3, seed=1)
    np.testing.assert_array_equal(a.step_series("loss"), b.step_series("loss"))
    assert not np.array_equal(a.step_series("loss"), c.step_series("loss"))


def test_evaluate_restores_the_mode(moons):
    train, _ = moons
    model = NumpyMLP((2, 8, 2), dropout=0.5, rng=np.random.default_rng(0))
    evaluate(model, np_losses.CrossEntropyLoss(), train)
    assert model.training
    model.eval()
    evaluate(model, np_losses.CrossEntropyLoss(), train)
    assert not model.training


def test_regression_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (64, 1))
    y = 3 * X + 2
    model = NumpyMLP((1, 1), rng=rng)
    history = fit(model, np_losses.MSELoss(), np_optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=60, batch_size=16, rng=rng, progress=False)
    assert "train_acc" not in history.metrics and history.train_loss[-1] < 1e-4
    np.testing.assert_allclose(model.layers[0].weight.data, [[3.0]], atol=1e-2)


def test_the_scheduler_steps_once_per_epoch(moons):
    train, _ = moons
    rng = np.random.default_rng(0)
    model = NumpyMLP((2, 8, 2), rng=rng)
    optimizer = np_optim.SGD(model.parameters(), lr=0.1)
    scheduler = np_schedules.StepLR(optimizer, step_size=2, gamma=0.5)
    history = fit(model, np_losses.CrossEntropyLoss(), optimizer, train, epochs=5, batch_size=100, rng=rng, scheduler=scheduler, progress=False)
    np.testing.assert_allclose(history.lr, [0.1, 0.1, 0.05, 0.05, 0.025])


def test_early_stopping_ends_training_and_restores_the_best_weights(moons):
    train, val = moons
    stopper = EarlyStopping("val_loss", patience=2)
    # A learning rate this large makes the validation loss wander, so patience runs out.
    history, model = numpy_run(train, val, epochs=200, lr=1.5, callbacks=[stopper])
    assert len(history) < 200 and stopper.stopped_epoch == len(history)
    best_epoch, best_loss = history.best("val_loss")
    assert stopper.best_epoch == best_epoch
    assert evaluate(model, np_losses.CrossEntropyLoss(), val)["loss"] == pytest.approx(best_loss)


def test_divergence_names_epoch_step_and_learning_rate():
    rng = np.random.default_rng(0)
    X, y = make_spirals(50, seed=0)
    model = NumpyMLP((2, 32, 2), rng=rng)
    optimizer = np_optim.SGD(model.parameters(), lr=1e6)
    with pytest.raises(TrainingDivergedError) as err:
        with np.errstate(all="ignore"):
            fit(model, np_losses.MSELoss(), optimizer, (X, np.eye(2)[y]), epochs=20, batch_size=10, rng=rng, progress=False)
    message = str(err.value)
    recorded = err.value.history.step_series("loss")
    assert np.all(np.isfinite(recorded)) and len(recorded) >= 1
    epoch = len(err.value.history) + 1
    assert f"at epoch {epoch}, step {len(recorded) + 1} " in message
    assert "learning rate 1e+06" in message and "try 100000" in message


def test_finite_inputs_whose_sum_overflows_are_not_refused():
    """The NaN/inf screen first sums the data; a sum that overflows must not pass for a NaN."""
    X = np.full((4, 2), 3e38, dtype=np.float32)
    y = np.array([0, 1, 0, 1])
    model = NumpyMLP((2, 4, 2), rng=np.random.default_rng(0))
    with np.errstate(all="ignore"):
        assert np.isfinite(X).all() and not np.isfinite(X.sum())
        result = evaluate(model, np_losses.CrossEntropyLoss(), (X, y))  # no "contain NaN or inf" refusal
    assert set(result) == {"loss", "acc"}


def test_bad_training_input_is_explained(moons):
    (X, y), _ = moons
    rng = np.random.default_rng(0)
    model = NumpyMLP((2, 4, 2), rng=rng)
    opt = np_optim.SGD(model.parameters(), lr=0.1)
    loss = np_losses.CrossEntropyLoss()
    X_nan = X.copy()
    X_nan[[7, 11], 1] = np.nan
    with pytest.raises(ValueError, match=r"train: 2 sample\(s\) contain NaN or inf .*\[7, 11\]"):
        fit(model, loss, opt, (X_nan, y), epochs=1, batch_size=8, rng=rng, progress=False)
    with pytest.raises(ValueError, match="X has 300 samples but y has 299"):
        fit(model, loss, opt, (X, y[:-1]), epochs=1, batch_size=8, rng=rng, progress=False)
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        fit(model, loss, opt, (X, y), epochs=0, batch_size=8, rng=rng, progress=False)
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        fit(model, loss, opt, (X, y), epochs=1, batch_size=0, rng=rng, progress=False)
    with pytest.raises(TypeError, match="pair"):
        fit(model, loss, opt, X, epochs=1, batch_size=8, rng=rng, progress=False)


# ---- the torch loop, and the twins trained side by side ----------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_torch_fit_follows_the_numpy_fit_step_for_step(moons, device):
    train, val = moons
    rng = np.random.default_rng(0)
    np_model = NumpyMLP((2, 16, 2), activation="tanh", rng=rng)
    torch_model = copy_weights_numpy_to_torch(np_model, MLP((2, 16, 2), activation="tanh").double())
    np_hist = fit(np_model, np_losses.CrossEntropyLoss(), np_optim.Adam(np_model.parameters(), lr=0.01), train, val=val, epochs=4, batch_size=32, rng=np.random.default_rng(5), progress=False)
    torch_hist = torch_training.fit(
        torch_model, torch.nn.CrossEntropyLoss(), torch_optim.Adam(torch_model.parameters(), lr=0.01), train,
        val=val, epochs=4, batch_size=32, rng=np.random.default_rng(5), progress=False, device=device,
    )
    np.testing.assert_allclose(torch_hist.step_series("loss"), np_hist.step_series("loss"), rtol=1e-9, atol=1e-12)
    for name in ("train_loss", "train_acc", "val_loss", "val_acc"):
        np.testing.assert_allclose(torch_hist[name], np_hist[name], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(torch_model[0].weight.detach().cpu().numpy(), np_model.layers[0].weight.data, rtol=1e-9, atol=1e-12)


def test_torch_fit_learns_in_float32_and_reports_divergence(moons):
    train, val = moons
    torch.manual_seed(0)
    model = MLP((2, 16, 16, 2), activation="tanh")
    history = torch_training.fit(model, torch.nn.CrossEntropyLoss(), torch_optim.SGD(model.parameters(), lr=0.1, momentum=0.9), train, val=val, epochs=30, batch_size=32, rng=np.random.default_rng(0), progress=False, device="cpu")
    assert history.val_acc[-1] >= 0.95
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+, step \d+ .*learning rate 1e\+10") as err:
        torch_training.fit(model, torch.nn.MSELoss(), torch_optim.SGD(model.parameters(), lr=1e10), (train[0], np.eye(2)[train[1]]), epochs=3, batch_size=32, rng=np.random.default_rng(0), progress=False, device="cpu")
    assert np.all(np.isfinite(err.value.history.step_series("loss")))


def test_torch_fit_refuses_bad_input(moons):
    (X, y), _ = moons
    model = MLP((2, 4, 2))
    args = (model, torch.nn.CrossEntropyLoss(), torch_optim.SGD(model.parameters(), lr=0.1))
    X_nan = X.copy()
    X_nan[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"NaN or inf .*\[3\]"):
        torch_training.fit(*args, (X_nan, y), epochs=1, batch_size=8, rng=np.random.default_rng(0), progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        torch_training.fit(*args, (X, y), epochs=1, batch_size=0, rng=np.random.default_rng(0), progress=False)
    with pytest.raises(TypeError, match="Generator"):
        torch_training.fit(*args, (X, y), epochs=1, batch_size=8, rng=0, progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="amp=True"):
            torch_training.fit(*args, (X, y), epochs=1, batch_size=8, rng=np.random.default_rng(0), progress=False, amp=True)


@pytest.mark.cuda
def test_bf16_autocast_training_step_on_cuda(moons):
    train, val = moons
    torch.manual_seed(0)
    model = MLP((2, 64, 2))
    history = torch_training.fit(model, torch.nn.CrossEntropyLoss(), torch_optim.Adam(model.parameters(), lr=0.01), train, val=val, epochs=20, batch_size=32, rng=np.random.default_rng(0), progress=False, device="cuda", amp=True)
    assert next(model.parameters()).dtype == torch.float32
    assert history.val_acc[-1] >= 0.9
