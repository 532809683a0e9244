"""fit (early stopping) with scripted stand-ins for train_epoch and evaluate; checkpoints."""
import pytest

from grader.checks import assert_close, fail, fresh_seed

# Validation losses per epoch: the best is epoch 4; with patience 3, epochs 5-7 do not improve: stop after 7.
STOPS = {"val_losses": [0.9, 0.7, 0.8, 0.6, 0.65, 0.62, 0.7, 0.5, 0.4, 0.3], "epochs": 10, "patience": 3,
         "l1_lambda": 0.001, "l2_lambda": 0.002}
# Always improving: runs every epoch, the best is the last.
IMPROVES = {"val_losses": [0.9, 0.8, 0.7, 0.6, 0.5], "epochs": 5, "patience": 2, "l1_lambda": 0.0, "l2_lambda": 0.0}
# Patience 1: stop at the first epoch without improvement.
IMPATIENT = {"val_losses": [0.5, 0.4, 0.45, 0.3, 0.2], "epochs": 5, "patience": 1, "l1_lambda": 0.0, "l2_lambda": 0.0}
SCENARIOS = (("the validation loss is best at epoch 4, epochs 10, patience 3", STOPS),
             ("the validation loss improves every epoch, epochs 5, patience 2", IMPROVES),
             ("the validation loss is best at epoch 2, epochs 5, patience 1", IMPATIENT))


@pytest.mark.check("fit: early stopping restores the best validation weights", points=3)
def test_fit_restores_best(student, reference):
    for what, args in SCENARIOS:
        got, want = student.run("fit_scripted", args), reference.run("fit_scripted", args)
        if got["final_weight"] != want["final_weight"]:
            last = got["epochs_run"]
            aliased = got["loaded"] and got["final_weight"] == last
            fail(f"when {what}, the model ends with the weights of epoch {got['final_weight']:g}, expected those "
                 f"of epoch {want['final_weight']:g} (the best validation loss)" + (
                     "; the saved best weights changed with training: keep a copy, "
                     "copy.deepcopy(model.state_dict()), a bare state_dict() shares the live tensors" if aliased else
                     "; keep a copy of the best weights and load_state_dict it at the end" if got["final_weight"] == last
                     else ""))


@pytest.mark.check("fit: stops after `patience` epochs without improvement", points=2)
def test_fit_patience(student, reference):
    for what, args in SCENARIOS:
        got, want = student.run("fit_scripted", args), reference.run("fit_scripted", args)
        if got["epochs_run"] != want["epochs_run"]:
            fail(f"when {what}, fit trained {got['epochs_run']} epochs, expected {want['epochs_run']}: stop after "
                 f"`patience` epochs in a row whose validation loss is not lower than the best so far")
        if not isinstance(got["history"], dict):
            fail(f"fit returned a {got['history']}, expected the history dict")
        if got["history"]["best_epoch"] != want["history"]["best_epoch"]:
            fail(f"when {what}, history['best_epoch'] is {got['history']['best_epoch']}, "
                 f"expected {want['history']['best_epoch']} (1-based)")


@pytest.mark.check("fit: history of losses and accuracy, one entry per epoch", points=1)
def test_fit_history(student, reference):
    got, want = student.run("fit_scripted", STOPS), reference.run("fit_scripted", STOPS)
    if not isinstance(got["history"], dict):
        fail(f"fit returned a {got['history']}, expected the history dict")
    for key in ("train_loss", "val_loss", "val_accuracy"):
        if not isinstance(got["history"].get(key), list):
            fail(f"history[{key!r}] is a {got['history'].get(key)}, expected a list with one value per epoch")
        assert_close(got["history"][key], want["history"][key], f"history[{key!r}]", rtol=1e-6, atol=1e-9)


@pytest.mark.check("fit: moves the model to the device; passes device and penalties on", points=2)
def test_fit_device_and_arguments(student):
    got = student.run("fit_scripted", STOPS)
    if not got["moved_to"]:
        fail("fit never moved the model to the device (model.to(device)): on a GPU, batches and weights would "
             "be on different devices", misconception="model-not-on-device")
    if "cpu:0" not in got["moved_to"]:
        fail(f"fit moved the model to {got['moved_to'][0]!r}, not to the device it was given ('cpu:0'): use the "
             "device argument")
    calls = got["train_calls"]
    if calls and not calls[0]["model_moved"]:
        fail("fit moved the model only after training had started: move it first")
    for call in calls:
        if not (call["same_model"] and call["train_loader"]):
            fail("fit must call train_epoch with the model and the training loader it was given")
        if call["device"] != "cpu:0":
            fail(f"fit passed device {call['device']!r} to train_epoch, not the device it was given ('cpu:0')")
        if (call["l1_lambda"], call["l2_lambda"]) != (STOPS["l1_lambda"], STOPS["l2_lambda"]):
            fail(f"fit passed l1_lambda={call['l1_lambda']}, l2_lambda={call['l2_lambda']} to train_epoch, "
                 f"expected the values it was given ({STOPS['l1_lambda']}, {STOPS['l2_lambda']})")
    for call in got["evaluate_calls"]:
        if not call["val_loader"]:
            fail("fit must evaluate on the validation loader")


CHECKPOINT = {"epoch": 7, "seed": fresh_seed(2)}


@pytest.mark.check("save_checkpoint: epoch and state dicts, loadable with weights_only=True", points=2)
def test_save_checkpoint(student):
    got = student.run("checkpoint_saved", CHECKPOINT)
    if not got["written"]:
        fail("save_checkpoint wrote nothing at the path it was given")
    if "safe_load_error" in got:
        fail("the checkpoint cannot be read with torch.load(path, weights_only=True): save a dict of state dicts "
             f"and numbers, not the model or optimizer objects ({got['safe_load_error']})",
             misconception="checkpoint-pickles-objects")
    if "content" in got:
        fail(f"the checkpoint holds a {got['content']}, expected a dict")
    missing = [k for k in ("epoch", "model_state_dict", "optimizer_state_dict") if k not in got["keys"]]
    if missing:  # extra entries (the last loss, say) are welcome
        fail(f"the checkpoint lacks {', '.join(repr(k) for k in missing)} (it holds {got['keys']})")
    if got["epoch"] != CHECKPOINT["epoch"]:
        fail(f"checkpoint['epoch'] is {got['epoch']}, expected {CHECKPOINT['epoch']}")
    if not got["model_state_equal"]:
        fail("checkpoint['model_state_dict'] is not the model's state_dict()")
    if not got["optimizer_state_equal"]:
        fail("checkpoint['optimizer_state_dict'] is not the optimizer's state_dict()")


@pytest.mark.check("load_checkpoint: restores the weights, the optimizer state and the epoch", points=2)
def test_load_checkpoint(student):
    got = student.run("checkpoint_loaded", CHECKPOINT)
    if not got["model_state_equal"]:
        fail("after load_checkpoint the model's weights are not the saved ones (model.load_state_dict(...))")
    if not got["optimizer_state_equal"]:
        fail("after load_checkpoint the optimizer's state is not the saved one: restore it too "
             "(optimizer.load_state_dict(...)), or Adam restarts its running averages",
             misconception="checkpoint-optimizer-not-restored")
    returned = got["returned"]
    if returned.get("kind") != "number" or returned.get("value") != CHECKPOINT["epoch"]:
        fail(f"load_checkpoint returned {returned.get('value', returned.get('kind'))!r}, "
             f"expected the saved epoch {CHECKPOINT['epoch']}")
