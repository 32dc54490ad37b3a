"""The network as Python the page edits: examples that build, code turned into a spec (data), and
every problem said on its line."""
import pytest

from digitlab.model_file import MAX_PARAMS, load_model, model_bytes
from digitlab.nn.editable import CodeError, EXAMPLES, examples, network_of_code, source_of, training_step
from digitlab.nn.layers import LAYERS
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import ARCHITECTURES, architecture

SHAPE = (28, 28, 1)


def spec(code, classes=10):
    return network_of_code(code, classes, SHAPE, MAX_PARAMS)[0]


def problem(code, classes=10):
    with pytest.raises(CodeError) as raised:
        spec(code, classes)
    return raised.value.line, str(raised.value)


def with_defaults(entry):
    """A spec entry with every setting its layer has, defaults included (as the code shows them)."""
    layer = LAYERS[entry["type"]](**{k: v for k, v in entry.items() if k != "type"})
    return dict(type=entry["type"], **layer.config())


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_architecture_shown_as_python_comes_back_the_same_spec(name):
    for classes in (10, 3):
        shown = architecture(name, classes)
        assert spec(source_of(shown), classes) == [with_defaults(entry) for entry in shown]


def test_every_example_builds_for_any_number_of_labels_and_says_what_to_watch():
    for name, example in examples().items():
        assert example["code"].startswith("# " + EXAMPLES[name][0]) and "# Watch: " in example["code"]
        for classes in (10, 2):
            assert Sequential(spec(example["code"], classes), SHAPE).output_shape == (classes,)


def test_an_edited_network_saves_as_data_and_loads_as_any_model():
    edited = source_of(architecture("cnn", 10)).replace("filters=16", "filters=8")
    model = Sequential(spec(edited), SHAPE)
    saved = load_model(model_bytes(model, list("0123456789"), name="python"))
    assert saved.model.spec[0]["filters"] == 8 and saved.model.count_params() < Sequential(
        architecture("cnn", 10), SHAPE).count_params()


@pytest.mark.parametrize("code, line, start", [
    ("model = [\n    Flatten(),\n    Dense(units=64),\n    ReLU() ReLU(),\n    Dense(units=classes),\n]\n", 4,
     "Line 4: SyntaxError"),
    ("model = [\n    Flatten(),\n    Dens(units=classes),\n]\n", 3, "Line 3: NameError: name 'Dens' is not defined"),
    ("model = [\n    Conv2D(filterz=8, kernel=3),\n]\n", 2, "Line 2: TypeError"),
    ("model = [\n    Conv2D(filters=8, kernel=3),\n    Conv2D(filters=8, kernel=30),\n    Flatten(),\n"
     "    Dense(units=classes),\n]\n", 3, "Line 3: Conv2D does not fit here"),
    ("model = [\n    Flatten(),\n    Dense(units=5),\n]\n", 3, "Line 3: the network ends in 5 numbers; it must end in "
     "one score per label (10 here)"),
    ("model = [\n    Dense(units=classes),\n]\n", 2, "Line 2: Dense does not fit here"),
    ("n = 0\nwhile True:\n    n += 1\n", None, "Line "),
])
def test_a_problem_is_said_on_its_line(code, line, start):
    found_line, message = problem(code)
    assert message.startswith(start), message
    if line:
        assert found_line == line


@pytest.mark.parametrize("code, said", [
    ("x = " + "-" * 100000 + "1\n", "The code cannot be compiled: "),  # past the parser's depth
    ("model = []\0\n", None),  # a null byte: Python 3.8 says so with a ValueError, newer ones a SyntaxError
    ("d = Dense(units=classes)\nd.kind = 'bogus'\nmodel = [Flatten(), d]\n",
     "Line 1: Dense is not a layer any more: its kind 'bogus' is no layer's"),
    ("d = Dense(units=classes)\nd.config = lambda: dict(units=sum(n for n in range(10 ** 18)))\nmodel = [Flatten(), d]\n",
     "Line 2: the code ran for more than"),  # config() that would run on for ages, called by the check
    ("d = Dense(units=classes)\nd.config = lambda: 5\nmodel = [Flatten(), d]\n", "Line 1: Dense is not a layer"),
    ("model = [Flatten(), Dense(units=classes).__class__(units=0)]\n", "Dense(units=0): a whole number"),
])
def test_code_that_breaks_the_compiler_or_its_own_layers_is_said_in_words(code, said):
    line, message = problem(code)
    assert message.startswith(said) if said else "null bytes" in message, message


def test_code_that_runs_on_is_stopped_in_time():
    line, message = problem("while True:\n    pass\n")
    assert "ran for more than" in message and line in (1, 2)


def test_code_that_sets_no_list_of_layers_is_told_what_to_write():
    assert problem("model = 3\n") == (None, "The code must set model to a list of layers, such as "
                                            "model = [Flatten(), Dense(units=classes)].")


def test_too_many_parameters_are_refused_before_they_are_allocated():
    code = "model = [\n    Flatten(),\n    Dense(units=4096),\n    Dense(units=4096),\n    Dense(units=4096),\n" \
           "    Dense(units=classes),\n]\n"
    line, message = problem(code)
    assert line == 5 and "more than %d parameters" % MAX_PARAMS in message


def test_the_training_step_shown_is_train_py_s_own():
    step = training_step()
    assert step.startswith("for x, y in iterate_batches(")
    assert "model.backward(grad" in step and step.rstrip().endswith("optimizer.step(model.trainable_layers(), lr)")


@pytest.mark.parametrize("setting, said", [
    ("Dense(units=5000)", "Dense(units=5000): a whole number from 1 to 4096"),
    ("Dense(units=classes, init='xavier')", "Dense(init='xavier'): one of he, glorot"),
    ("Dropout(rate=1.0)", "Dropout(rate=1.0): a rate from 0 up to (not including) 1"),
    ("MaxPool2D(size=0)", "MaxPool2D(size=0): a whole number from 1 to 4096"),
    ("Conv2D(filters=4, kernel=3, stride=1.0)", "Conv2D(stride=1.0): a whole number from 1 to 4096"),
])
def test_a_setting_a_model_file_would_refuse_is_refused_on_its_line(setting, said):
    line, message = problem("model = [\n    Flatten(),\n    %s,\n    Dense(units=classes),\n]\n" % setting
                            if not setting.startswith(("MaxPool", "Conv")) else
                            "model = [\n    Conv2D(filters=4, kernel=3),\n    %s,\n    Flatten(),\n"
                            "    Dense(units=classes),\n]\n" % setting)
    assert line == 3 and message == "Line 3: " + said


def test_the_code_reaches_our_layers_and_a_few_builtins_nothing_to_import_or_open():
    assert problem("import sys\nmodel = []\n") == (1, "Line 1: ImportError: __import__ not found")
    assert problem("open('/etc/passwd')\n")[1] == "Line 1: NameError: name 'open' is not defined"
    assert spec("width = max(8, 4)\nmodel = [Flatten(), Dense(units=width * 2), Dense(units=classes)]\n")[1]["units"] == 16
