"""conv_output_size and the CNN model: sizes, parameters, logits, dropout."""
import numpy as np
import pytest

from grader.checks import ProbeFailure, assert_close, fail, rng_for

# size, kernel, stride, padding, dilation
PLAIN_CASES = [[28, 3, 1, 0, 1], [28, 5, 1, 0, 1], [5, 3, 1, 0, 1], [1, 1, 1, 0, 1], [64, 7, 1, 0, 1]]
STRIDE_PADDING_CASES = [[28, 3, 1, 1, 1], [28, 2, 2, 0, 1], [7, 2, 2, 0, 1], [32, 3, 2, 1, 1], [13, 3, 2, 0, 1],
                        [5, 3, 2, 0, 1], [227, 11, 4, 0, 1], [224, 7, 2, 3, 1], [8, 4, 3, 1, 1], [9, 3, 3, 0, 1]]
DILATION_CASES = [[10, 3, 1, 0, 2], [15, 5, 2, 2, 2], [6, 3, 1, 2, 3], [32, 3, 1, 2, 2]]


def _check_sizes(student, reference, cases):
    got = student.run("conv_sizes", {"cases": cases})
    want = reference.run("conv_sizes", {"cases": cases})
    wrong, raised = [], []
    for case, g, w in zip(cases, got, want):
        call = "conv_output_size({}, {}, stride={}, padding={}, dilation={})".format(*case)
        if "error" in g:
            raised.append(f"{call} raised {g['error']}")
        elif not g["integer"]:
            wrong.append(f"{call} returned {g['value']:g}, a float: sizes are ints (use // for the floor)")
        elif g["value"] != w["value"]:
            wrong.append(f"{call} returned {g['value']:g}, expected {w['value']:g}")
    if raised:   # the student's code raised: reported as an error, with the other cases' verdicts
        raise ProbeFailure("error", f"your code raised on {len(raised)} of {len(cases)} cases:\n" +
                           "\n".join(raised[:3] + wrong[:2]))
    if wrong:
        fail(f"{len(wrong)} of {len(cases)} cases wrong:\n" + "\n".join(wrong[:5]))


@pytest.mark.check("conv_output_size: kernel only (stride 1, no padding)", points=1)
def test_conv_size_plain(student, reference):
    _check_sizes(student, reference, PLAIN_CASES)


@pytest.mark.check("conv_output_size: stride and padding (floor division)", points=2)
def test_conv_size_stride_padding(student, reference):
    _check_sizes(student, reference, STRIDE_PADDING_CASES)


@pytest.mark.check("conv_output_size: dilation", points=1)
def test_conv_size_dilation(student, reference):
    _check_sizes(student, reference, DILATION_CASES)


CONFIGS = [
    {"in_channels": 1, "image_size": 28, "n_classes": 10},
    {"in_channels": 1, "image_size": 8, "n_classes": 10, "conv_channels": [8, 16]},
    {"in_channels": 3, "image_size": 32, "n_classes": 5, "conv_channels": [4, 6], "hidden_units": 12, "kernel_size": 5},
    {"in_channels": 1, "image_size": 13, "n_classes": 4, "conv_channels": [6], "hidden_units": 10},
]
STRUCTURE = {"configs": CONFIGS, "batch": 2}


def _call(config):
    return "CNN(" + ", ".join(f"{k}={v}" for k, v in config.items()) + ")"


def _structures(student, reference):
    got = student.run("cnn_structure", STRUCTURE)
    want = reference.run("cnn_structure", STRUCTURE)
    for config, g in zip(CONFIGS, got):
        if "error" in g:
            raise ProbeFailure("error", f"{_call(config)}: your code raised {g['error']}")
    return zip(CONFIGS, got, want)


@pytest.mark.check("CNN.__init__: flat_features for several image sizes", points=2)
def test_cnn_flat_features(student, reference):
    for config, g, w in _structures(student, reference):
        if g["flat_features"] != w["flat_features"]:
            fail(f"{_call(config)}.flat_features is {g['flat_features']}, expected {w['flat_features']}: "
                 "channels of the last block x (size after every conv and pool)^2, with conv_output_size "
                 "(do not hard-code 7 x 7)")


@pytest.mark.check("CNN.__init__: layers and parameter count as specified", points=2)
def test_cnn_parameters(student, reference):
    for config, g, w in _structures(student, reference):
        # A wrong flat_features is charged above: judge the layers given the student's own flat_features.
        hidden_units = config.get("hidden_units", 64)
        expected = sorted([hidden_units, g["flat_features"]] if s == [hidden_units, w["flat_features"]] else s for s in w["shapes"])
        if g["shapes"] != expected:
            count = sum(int(np.prod(s)) for s in expected)
            fail(f"{_call(config)} has {g['parameters']} parameters, expected {count}\n"
                 f"parameter shapes: yours {g['shapes']}\nexpected {expected}")


@pytest.mark.check("CNN.forward: output shape (N, n_classes)", points=1)
def test_cnn_output_shape(student, reference):
    for config, g, w in _structures(student, reference):
        if g["flat_features"] == w["flat_features"] and isinstance(g["output_shape"], dict):
            raise ProbeFailure("error", f"{_call(config)} on a batch of 2 images: your code raised "
                                        f"{g['output_shape']['error']}")
        if g["flat_features"] == w["flat_features"] and g["output_shape"] != w["output_shape"]:
            fail(f"{_call(config)} on a batch of 2 images gave {g['output_shape']}, expected {w['output_shape']}")


RNG = rng_for(11)
# 28 x 28 images: these checks do not depend on a correct flatten size for other sizes (charged above).
FORWARD = {"config": {"in_channels": 1, "image_size": 28, "n_classes": 10, "conv_channels": [4, 6], "hidden_units": 12},
           "images": RNG.uniform(size=(3, 1, 28, 28))}


@pytest.mark.check("CNN.forward: logits for given weights (eval mode)", points=2)
def test_cnn_logits(student, reference):
    got = student.run("cnn_forward", FORWARD)["logits"]
    want = reference.run("cnn_forward", FORWARD)["logits"]
    got_array = np.asarray(got, dtype=float) if np.ndim(got) == 2 else None
    if got_array is not None and got_array.shape == want.shape and got_array.min() >= 0 and \
            np.allclose(got_array.sum(axis=1), 1, atol=1e-4):
        fail("forward returns probabilities (every row sums to 1): return the raw logits; "
             "nn.CrossEntropyLoss applies log-softmax itself", misconception="softmax-before-cross-entropy")
    assert_close(got, want, "logits", rtol=1e-4, atol=1e-5)


@pytest.mark.check("CNN.forward: dropout on in train mode, off in eval mode", points=1)
def test_cnn_dropout_modes(student):
    got = student.run("cnn_forward", FORWARD)
    if not got["eval_repeatable"]:
        fail("in eval mode two calls on the same images gave different outputs: dropout is still active at test "
             "time (use an nn.Dropout module, or F.dropout(x, p, training=self.training))")
    if not got["train_varies"]:
        fail("in train mode two calls on the same images gave the same outputs: the model has no active dropout")
