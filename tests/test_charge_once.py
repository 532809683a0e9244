"""One mistake, charged once: the stand-in channel, the harness's service, and re-runs of integration checks.

The channel is tested with two endpoints wired to each other in this process
(the same code the worker and the harness run on either side of the pipes);
the service and the cascade through real grading.
"""
from __future__ import annotations

import copy
import shutil
import types
from pathlib import Path

import numpy as np
import pytest

from grader.core.assignment import Assignment, AssignmentError
from grader.core.types import CheckResult, ProbeFailure
from grader.engine.cascade import _refuse_own_standins, declared_depends, policy_of
from grader.engine.grade import grade
from grader.engine.session import reference_for
from grader.sandbox import remote, wire
from grader.sandbox.standin_service import StandInService, describe_parts

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "numpy_nn"


def _pair():
    """A harness-like and a worker-like endpoint, each answering the other's requests directly."""
    harness, worker = remote.Endpoint("h"), remote.Endpoint("w")
    harness.exchange = lambda message: worker.answer(wire.decode(wire.encode(message)))
    worker.exchange = lambda message: harness.answer(wire.decode(wire.encode(message)))
    return harness, worker


class Optimizer:
    def __init__(self, rate):
        self.rate, self.calls = rate, 0

    def update(self, w, grad):
        self.calls += 1
        return w - self.rate * grad


def test_handles_and_torch_values_cross_the_wire_and_bad_ones_are_refused():
    for value in (wire.Handle("h", 3, 2), [wire.Handle("w", 1, 1)]):
        assert wire.decode(wire.encode(value)) == value
    data = wire.decode(wire.encode(wire.TensorData(np.arange(6.0).reshape(2, 3), "cpu")))
    assert isinstance(data, wire.TensorData) and data.array.shape == (2, 3) and data.device == "cpu"
    for bad in (b'{"__handle__": ["x", 1, 1]}', b'{"__handle__": ["h", "1", 1]}', b'{"__torch__": ["module", "os"]}'):
        with pytest.raises(wire.WireError):
            wire.decode(bad)


def test_a_proxy_calls_methods_reads_attributes_and_does_arithmetic_on_the_other_side():
    harness, worker = _pair()
    optimizer = Optimizer(0.5)
    proxy = harness.incoming(worker.outgoing(optimizer))          # the harness's view of the worker's object
    assert isinstance(proxy, remote.RemoteObject)
    assert np.allclose(proxy.update(np.ones(3), np.ones(3)), 0.5)  # arrays cross by value
    assert proxy.rate == 0.5 and optimizer.calls == 1
    proxy.update(np.ones(1), np.ones(1))                           # a known method: one request, no getattr
    assert optimizer.calls == 2 and any(name == "update" for _, name in harness.methods)
    twin = copy.deepcopy(proxy)
    assert twin is not proxy and twin.rate == 0.5
    numbers = harness.incoming(worker.outgoing([1.0, 2.0, 3.0].__iter__()))
    assert [x for x in numbers] == [1.0, 2.0, 3.0]
    value = harness.incoming(worker.outgoing(np.float64(2.0) * np.ones((2, 2)) + 0j))   # plain: not a proxy
    assert isinstance(value, np.ndarray)
    boxed = harness.incoming(worker.outgoing(Fraction(3)))
    assert (boxed + 1).value == 4 and (2 * boxed).value == 6 and (boxed < 5) is True
    assert harness.outgoing(proxy) == worker.outgoing(optimizer)   # a proxy goes back as its own object


class Fraction:
    def __init__(self, value):
        self.value = value

    def __add__(self, other):
        return Fraction(self.value + other)

    def __rmul__(self, other):
        return Fraction(other * self.value)

    def __lt__(self, other):
        return self.value < other


def test_exceptions_keep_their_type_and_private_names_are_refused():
    harness, worker = _pair()
    proxy = harness.incoming(worker.outgoing(Optimizer(0.1)))
    assert not hasattr(proxy, "momentum")                          # a remote AttributeError is an AttributeError
    with pytest.raises(ValueError):
        proxy.update(np.ones(3), np.ones(4))
    with pytest.raises(remote.RemoteError, match="not available"):
        harness.request("getattr", harness.outgoing(proxy), "__class__")
    with pytest.raises(remote.RemoteError, match="not available"):
        harness.request("operator", None, "system", ["ls"])
    worker.forget()
    with pytest.raises(remote.RemoteError, match="earlier check"):
        proxy.update(np.ones(1), np.ones(1))


@pytest.fixture(scope="module")
def numpy_nn():
    return Assignment.from_dir(ROOT / "reference" / "numpy_nn")


def test_the_service_offers_the_public_api_and_serves_only_what_this_probe_stands_in_for(numpy_nn):
    reference = reference_for(numpy_nn)
    specs = describe_parts(reference.api, numpy_nn.homes)
    assert specs["DenseLayer"]["base"] == "Layer" and "backward_propagation" in specs["DenseLayer"]["methods"]
    assert specs["TanhActivation"]["base"] == "ActivationLayer" and specs["accuracy"] == {"kind": "function"}
    service = StandInService(reference.api, numpy_nn.homes)
    ask = {"op": "callback", "action": "new", "name": "DenseLayer", "args": [3], "kwargs": {}}
    refused = service.answer(ask, lambda message: None)
    assert refused["ok"] is False and "no stand-in" in refused["error"] and not service.served
    service.names = ("DenseLayer",)
    made = service.answer(ask, lambda message: None)
    assert made["ok"] is True and type(made["value"]) is wire.Handle and service.reset_served() == {"DenseLayer"}
    module = {"op": "callback", "action": "getattr", "target": made["value"], "name": "copy"}
    reference.api.DenseLayer.copy = types   # an attribute that is a module is never handed out
    try:
        assert service.answer(module, lambda message: None)["ok"] is False
    finally:
        del reference.api.DenseLayer.copy
    service.modules_failed({"activations": "activations.py has a syntax error"})
    assert "SigmoidActivation" in service.always and "DenseLayer" not in service.always


def test_what_the_reference_holds_while_serving_a_probe_is_bounded(numpy_nn):
    service = StandInService(reference_for(numpy_nn).api, numpy_nn.homes)
    service.memory_bytes = 50 * 1024 * 1024
    service.names = ("Dataset",)

    def dataset(X):
        return {"op": "callback", "action": "new", "name": "Dataset", "args": [X, np.zeros(len(X))], "kwargs": {}}

    assert service.answer(dataset(np.ones((4, 2))), lambda request: None)["ok"]   # the probe's first request
    with pytest.raises(ProbeFailure) as failure:   # 80 MB kept by a Dataset the worker asked for
        service.answer(dataset(np.random.default_rng(0).normal(size=(1_000_000, 10))), lambda request: None)
    assert failure.value.kind == "memory"
    service.end_probe()


def test_cnn_offers_its_functions_but_not_a_torch_module():
    cnn = Assignment.from_dir(ROOT / "reference" / "cnn")
    specs = describe_parts(reference_for(cnn).api, cnn.homes)
    assert specs["train_epoch"] == {"kind": "function"} and "CNN" not in specs
    assert declared_depends(cnn)["fit"] == ["train_epoch", "evaluate"]


def test_a_check_is_never_scored_on_the_graders_stand_in_for_its_own_part():
    honest = CheckResult("a::t", "t", "NeuralNetwork.fit: trains", 2, False, passed=True, served={"DenseLayer"})
    forged = CheckResult("a::u", "u", "DenseLayer.forward_propagation: x", 2, False, passed=True, served={"DenseLayer"})
    _refuse_own_standins([honest, forged])
    assert honest.passed and not forged.passed and "stand-in" in forged.message


def _course_copy(tmp_path: Path, config_line: str) -> Assignment:
    folder = tmp_path / "numpy_nn"
    shutil.copytree(ROOT / "reference" / "numpy_nn", folder)
    toml = folder / "assignment.toml"
    toml.write_text(toml.read_text().replace('cascade = "charge-once"', config_line))
    return Assignment.from_dir(folder)


def test_policy_is_checked_and_charge_all_re_runs_nothing(tmp_path):
    with pytest.raises(AssignmentError, match="charge-once"):
        policy_of(_course_copy(tmp_path / "bad", 'cascade = "charge-some"'))
    charge_all = _course_copy(tmp_path / "all", 'cascade = "charge-all"')
    results = grade(charge_all, SAMPLES / "carol", diagnose=False)
    reran = [c for c in results["extra_data"]["checks"] if c.get("cascade", {}).get("rerun")]
    assert reran == [] and any(c.get("cascade") for c in results["extra_data"]["checks"])
    blobs = next(t for t in results["tests"] if "two blobs" in t["name"])
    assert blobs["status"] == "failed"


def test_a_module_importing_a_broken_one_gets_stand_ins_and_keeps_its_checks(numpy_nn, tmp_path):
    folder = tmp_path / "dave"
    shutil.copytree(SAMPLES / "carol", folder)
    network = folder / "neuralnet.py"
    network.write_text(network.read_text().replace("from .metrics import mse",
                                                   "from .metrics import mse\nfrom .activations import ReLUActivation"))
    results = grade(numpy_nn, folder, diagnose=False)
    failed = {t["name"].split(".")[0].split(":")[0] for t in results["tests"] if t["status"] == "failed"}
    assert failed == {"ActivationLayer", "SigmoidActivation", "ReLUActivation", "TanhActivation", "SoftmaxActivation"}


DRAWS = np.random.default_rng(5)


def _draw_inputs():
    return DRAWS.normal(), np.random.normal()


def test_a_re_run_draws_the_same_inputs_and_leaves_no_trace():
    from grader.checks.plugin import _Retry

    np.random.seed(1)
    retry = _Retry(_draw_inputs, {})
    first = _draw_inputs()
    assert retry() == first                      # the re-run checks what the first run checked
    after = _draw_inputs()
    DRAWS.bit_generator.state = np.random.default_rng(5).bit_generator.state
    np.random.seed(1)
    _draw_inputs()
    assert after == _draw_inputs()               # and the checks after it draw what they would have
