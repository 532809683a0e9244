"""prepare_images, make_loaders and get_device."""
import numpy as np
import pytest

from grader.checks import ProbeFailure, assert_close, fail, fresh_seed, rng_for

RNG = rng_for(5)
GREY = {"images": RNG.integers(0, 256, size=(4, 6, 6)).astype(np.uint8), "max_value": 255.0}
COLOUR = {"images": RNG.integers(0, 17, size=(3, 3, 4, 4)).astype(np.int64), "max_value": 16.0}


@pytest.mark.check("prepare_images: float32 (N, C, H, W) scaled to [0, 1]", points=2)
def test_prepare_images(student, reference):
    for what, args in (("grey (N, H, W) uint8 images, max_value 255", GREY),
                       ("colour (N, C, H, W) images, max_value 16", COLOUR)):
        got, want = student.run("prepare", args), reference.run("prepare", args)
        if got["kind"] != "tensor":
            fail(f"for {what} prepare_images returned a {got['kind']}, expected a torch tensor")
        if got["dtype"] != want["dtype"]:
            fail(f"for {what} the tensor has dtype {got['dtype']}, expected {want['dtype']} "
                 "(nn.Conv2d weights are float32)")
        if got["shape"] != want["shape"]:
            fail(f"for {what} the shape is {tuple(got['shape'])}, expected {tuple(want['shape'])}"
                 + (" (add the channel axis: unsqueeze(1))" if len(got["shape"]) == 3 else ""))
        assert_close(got["values"], want["values"], f"values for {what}", rtol=1e-6, atol=1e-7)


LOADERS = {"n_train": 50, "n_val": 20, "image_shape": [1, 2, 2], "batch_size": 16, "seed": fresh_seed(3)}


@pytest.mark.check("make_loaders: batches of images and int64 class labels", points=2)
def test_loader_batches(student, reference):
    got, want = student.run("loaders", LOADERS), reference.run("loaders", LOADERS)
    for part, name in (("train", "training"), ("val", "validation")):
        g, w = got[part], want[part]
        if g["labels"] != w["labels"]:
            fail(f"{name} label batches are {', '.join(g['labels'])}; expected {', '.join(w['labels'])} "
                 "(nn.CrossEntropyLoss takes class indices as int64, shape (batch,), not one-hot vectors)")
        if g["images"] != w["images"]:
            fail(f"{name} image batches are {', '.join(g['images'])}; expected {', '.join(w['images'])}")
        if g["sizes"] != w["sizes"]:
            fail(f"{name} batch sizes are {g['sizes']}, expected {w['sizes']} (batch_size={LOADERS['batch_size']})")
        if not g["complete"]:
            fail(f"one pass over the {name} loader does not yield every example exactly once")
        if not g["paired"]:
            fail(f"in the {name} loader images and labels no longer match (were they shuffled separately?)")


@pytest.mark.check("make_loaders: training data reshuffled every epoch, validation in order", points=2)
def test_loader_shuffling(student, reference):
    got = student.run("loaders", LOADERS)
    if got["train"]["in_order"] or got["train_again"]["in_order"]:
        fail("the training loader yields the examples in their original order: shuffle the training data "
             "(DataLoader(..., shuffle=True)) so that batches differ from epoch to epoch")
    if not got["reshuffled"]:
        fail("the training loader yields the same order at every epoch: shuffle anew at each pass "
             "(DataLoader(..., shuffle=True) does), not once beforehand")
    if not got["val"]["in_order"]:
        fail("the validation loader shuffles: keep validation data in order (shuffle=False); it gains nothing")


@pytest.mark.check("get_device: cuda when a GPU is available, else cpu", points=1)
def test_get_device(student):
    got = student.run("device_choice")
    for label, situation in (("with_gpu", "with a GPU available"), ("without_gpu", "without a GPU")):
        if isinstance(got[label], dict):
            raise ProbeFailure("error", f"{situation} get_device: your code raised {got[label]['error']}")
    if got["with_gpu"] != "cuda":
        fail(f"with a GPU available get_device gave {got['with_gpu']!r}, expected a cuda device "
             "(check torch.cuda.is_available())")
    if got["without_gpu"] != "cpu":
        fail(f"without a GPU get_device gave {got['without_gpu']!r}, expected the cpu device")
