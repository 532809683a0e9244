"""Section 1: tensors and autograd (public checks)."""
import numpy as np
import pytest

from grader.checks import assert_close, fail

POSITIVE = np.array([[0.25, 1.0, 2.0], [4.0, 0.5, 9.0]])


def _tensor(student, name, what):
    facts = student.run("named_tensor", {"name": name})
    if not facts["is_tensor"]:
        fail(f"{name} is a {facts['type']}, not a torch tensor{what}")
    return facts


@pytest.mark.check("x_block: the first 5 rows and 10 columns of digits_X as a float64 leaf that requires grad", points=1)
def test_x_block(student, reference):
    facts = _tensor(student, "x_block", "")
    assert_close(facts["values"], reference.run("named_tensor", {"name": "x_block"})["values"], "x_block")
    if facts["dtype"] != "float64":
        fail(f"x_block has dtype {facts['dtype']}; keep the float64 of digits_X (torch.tensor or torch.from_numpy)")
    if not (facts["requires_grad"] and facts["is_leaf"]):
        fail("x_block must be a leaf tensor with requires_grad=True (create it with requires_grad=True, or call "
             ".requires_grad_() on the new tensor)")


@pytest.mark.check("y_block: the elementwise exponential of x_block, part of the graph", points=1)
def test_y_block(student, reference):
    facts = _tensor(student, "y_block", " (the elementwise exponential of x_block)")
    assert_close(facts["values"], reference.run("named_tensor", {"name": "y_block"})["values"], "y_block")
    if not facts["in_graph"]:
        fail("y_block has no grad_fn: compute it from x_block with torch operations so autograd can follow it")


@pytest.mark.check("z_block: the sum of the squares of y_block, a scalar in the graph", points=1)
def test_z_block(student, reference):
    facts = _tensor(student, "z_block", "")
    assert_close(facts["values"], reference.run("named_tensor", {"name": "z_block"})["values"], "z_block")
    if not facts["in_graph"]:
        fail("z_block has no grad_fn: compute it from y_block with torch operations")


@pytest.mark.check("block_grad: the gradient of z_block with respect to x_block", points=1)
def test_block_grad(student, reference):
    facts = _tensor(student, "block_grad", " (keep x_block.grad.clone() after z_block.backward())")
    assert_close(facts["values"], reference.run("named_tensor", {"name": "block_grad"})["values"], "block_grad")


@pytest.mark.check("make_leaf: a leaf tensor with the array's values and dtype that requires grad", points=2)
def test_make_leaf(student, reference):
    facts = student.run("make_leaf", {"array": POSITIVE})
    if not facts["is_tensor"]:
        fail(f"make_leaf returned a {facts['type']}, not a torch tensor")
    assert_close(facts["values"], POSITIVE, "values")
    if facts["dtype"] != "float64":
        fail(f"make_leaf gave dtype {facts['dtype']} for a float64 array; torch.Tensor(array) converts to "
             "float32: use torch.tensor(array) or torch.from_numpy(array)")
    if not facts["requires_grad"]:
        fail("the tensor does not require gradients (requires_grad=True)")
    if not facts["is_leaf"]:
        fail("the tensor is not a leaf: set requires_grad on the new tensor itself, not on a result computed from it")


@pytest.mark.check("autograd_gradient: dz/dx for z = sum(sqrt(x) ** 3)", points=1)
def test_autograd_gradient(student, reference):
    args = {"array": POSITIVE}
    assert_close(student.run("autograd_gradient", args), reference.run("autograd_gradient", args), "gradient")


def _gradients(student, reference, function, n):
    args = {"function": function, "array": POSITIVE, "n": n}
    got, want = student.run("gradient_list", args), reference.run("gradient_list", args)
    if got["count"] != n:
        fail(f"{function} returned {got['count']} gradients for n = {n}")
    assert_close(got["gradients"], want["gradients"], "the gradients after each call (one row per call)")


@pytest.mark.check("accumulated_gradients: gradients add up over backward calls on one graph", points=2)
def test_accumulated_gradients(student, reference):
    _gradients(student, reference, "accumulated_gradients", 3)


@pytest.mark.check("fresh_gradients: the gradient is reset between backward calls", points=2)
def test_fresh_gradients(student, reference):
    _gradients(student, reference, "fresh_gradients", 3)
