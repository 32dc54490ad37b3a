"""The network as Python a person reads and edits in the page.

A network is shown as the list of our layer classes it is made of (`model = [Conv2D(...), ...]`).
Edited code is run (in the trainer's own Python, the user's own browser) with a time limit, and
the list it leaves in `model` becomes a spec: data, as model files keep it, never code. Every
problem comes back as a `CodeError` naming the line it is on: a syntax error's, the line of the
code that raised, or the line of the layer whose shapes do not fit.
"""
import builtins
import sys
import time

from ..errors import DigitlabError
from ..model_file import MAX_VALUES, setting_problem
from .layers import LAYERS, Layer
from .model import Sequential
from .zoo import CNN, CODELAB, LOGREG, MLP, classifier

TIME_LIMIT_S = 2.0  # defining a network takes milliseconds: a loop that runs on is stopped
# What the code may call besides the layers: enough to compute a network, nothing to import or
# open with (a builtin that runs long, which the time limit cannot stop, the page stops: the
# engine client's requestWithin).
BUILTINS = ("abs", "bool", "dict", "enumerate", "float", "int", "isinstance", "len", "list", "max", "min",
            "print", "range", "reversed", "round", "sorted", "str", "sum", "tuple", "zip",
            "Exception", "ValueError", "TypeError")
FILE = "<network>"  # the code's file name in tracebacks
CLASSES = "classes"  # the name the code reads the number of labels from
NAME = "python"  # a model made of such code: its name in the model file (its spec is data there)


class CodeError(DigitlabError):
    """A problem in the user's network code, on `line` (None: not on one line)."""

    def __init__(self, line, message):
        super().__init__(("Line %d: %s" % (line, message)) if line else message)
        self.line = line


# The examples one tap away: (title, what to look for in the charts, spec).
OVERFIT = [{"type": "flatten"}, {"type": "dense", "units": 1024}, {"type": "relu"},
           {"type": "dense", "units": 1024}, {"type": "relu"}, classifier()]
EXAMPLES = {
    "logreg": ("Logistic regression: one dense layer, a score per class from the pixels.",
               "It learns fast and stops near 92 %: a straight line cannot tell every 4 from a 9.", LOGREG),
    "mlp": ("A multilayer perceptron: a hidden layer of 256 units, with dropout.",
            "Better than logistic regression (about 97 %), but it sees pixels, not strokes.", MLP),
    "codelab": ("The TensorFlow.js codelab's CNN: two 5x5 convolutions, each pooled.",
                "Convolutions see strokes wherever they are: fewer parameters, higher accuracy.", CODELAB),
    "cnn": ("The default CNN: two 3x3 convolution blocks and a dense head with dropout.",
            "Test accuracy follows training accuracy closely: dropout keeps the head from memorising.", CNN),
    "overfit": ("Overfitting on purpose: two dense layers of 1,024 units, no dropout.",
                "Train it on 50 images per label: training accuracy races to 100 % while test accuracy "
                "stalls far below. The gap between the two curves is overfitting.", OVERFIT),
}


def source_of(spec, title="", watch=""):
    """The Python of a spec: a comment, then `model = [...]` of our layer classes."""
    comments = ["# " + text for text in (title, "Watch: " + watch if watch else "") if text]
    lines = [_call(entry, last=i == len(spec) - 1) for i, entry in enumerate(spec)]
    return "\n".join(comments + ["model = ["] + ["    %s," % line for line in lines] + ["]", ""])


def _call(entry, last):
    cls = LAYERS[entry["type"]]
    config = cls(**{k: v for k, v in entry.items() if k != "type"}).config()  # every setting, defaults too
    if last and "units" in config:
        config["units"] = CLASSES  # the classifier: one score per label, however many
    return "%s(%s)" % (cls.__name__, ", ".join("%s=%s" % (k, v if k == "units" and v == CLASSES else repr(v))
                                               for k, v in config.items()))


def examples():
    """{name: {"title", "code"}} of the examples."""
    return {name: {"title": title, "code": source_of(spec, title, watch)}
            for name, (title, watch, spec) in EXAMPLES.items()}


def network_of_code(source, classes, input_shape, max_params):
    """Run `source` -> (the spec of the layers it leaves in `model`, checked against `input_shape` and
    `classes`; that network built, its weights left zero); raises CodeError."""
    layers = _run(source, classes)
    spec = _with_time_limit(lambda: [_entry(layer) for layer in layers])  # the code may have made config() run on
    for count, layer in enumerate(layers, 1):  # the first layer whose shapes do not fit, by its line
        _check_settings(layer, spec[count - 1])
        try:
            model = Sequential(spec[:count], input_shape, max_params=max_params, max_values=MAX_VALUES,
                               initialise=False)
        except (ValueError, TypeError, ArithmeticError) as err:
            raise CodeError(_line_of(layer), "%s does not fit here: %s." % (type(layer).__name__, err))
    if model.output_shape != (classes,):
        raise CodeError(_line_of(layers[-1]), "the network ends in %s numbers; it must end in one score per label "
                                         "(%d here): Dense(units=classes)"
                        % ("x".join(str(d) for d in model.output_shape), classes))
    return spec, model


def _entry(layer):
    """A layer's spec entry. The code may have changed the layer's own attributes, so whatever
    reading them raises is said as the code's error."""
    try:
        entry = dict(type=layer.kind, **layer.config())
    except CodeError:  # stopped in time
        raise
    except Exception as err:
        raise CodeError(_line_of(layer), "%s is not a layer any more: %s: %s" % (type(layer).__name__,
                                                                               type(err).__name__, err))
    if entry["type"] not in LAYERS:
        raise CodeError(_line_of(layer), "%s is not a layer any more: its kind %r is no layer's"
                        % (type(layer).__name__, entry["type"]))
    return entry


def _line_of(layer):
    return getattr(layer, "line", None)  # None: made not by the code's own call (type(layer)(...))


def _check_settings(layer, entry):
    """Settings a model file would refuse, refused here, on the layer's line: the network must save."""
    for key, value in entry.items():
        problem = None if key == "type" else setting_problem(key, value)
        if problem:
            raise CodeError(_line_of(layer), "%s(%s=%r): %s" % (type(layer).__name__, key, value, problem))


def training_step():
    """The lines of train.fit that train on a batch, as train.py has them: shown beside the network."""
    import inspect
    import textwrap

    from .. import train

    lines = inspect.getsource(train.fit).splitlines()
    first = next(i for i, line in enumerate(lines) if "for x, y in" in line)
    last = next(i for i, line in enumerate(lines) if "optimizer.step(" in line)
    return textwrap.dedent("\n".join(lines[first:last + 1]))


def _run(source, classes):
    """The layers `source` leaves in `model`, each knowing the line that made it."""
    try:
        code = compile(source, FILE, "exec")
    except SyntaxError as err:
        raise CodeError(err.lineno, "SyntaxError: %s" % err.msg)
    except (ValueError, RecursionError, MemoryError) as err:  # a null byte (Python 3.8); nesting past the parser
        raise CodeError(None, "The code cannot be compiled: %s." % (str(err) or type(err).__name__))
    namespace = {cls.__name__: _noting_its_line(cls) for cls in LAYERS.values()}
    namespace[CLASSES] = classes
    namespace["__builtins__"] = {name: getattr(builtins, name) for name in BUILTINS}
    try:
        _with_time_limit(lambda: exec(code, namespace))
    except CodeError:
        raise
    except Exception as err:  # the user's code: whatever it raises is said, on its line
        raise CodeError(_line_in_code(err), "%s: %s" % (type(err).__name__, err))
    layers = namespace.get("model")
    if not (isinstance(layers, list) and layers and all(isinstance(layer, Layer) for layer in layers)):
        raise CodeError(None, "The code must set model to a list of layers, such as "
                              "model = [Flatten(), Dense(units=classes)].")
    return layers


def _noting_its_line(cls):
    """`cls`, whose objects remember the line of the network's code that made them."""
    def make(*args, **kwargs):
        layer = cls(*args, **kwargs)
        layer.line = sys._getframe(1).f_lineno
        return layer
    make.__name__ = cls.__name__
    return make


def _with_time_limit(run):
    deadline = time.perf_counter() + TIME_LIMIT_S

    def trace(frame, event, arg):
        if time.perf_counter() > deadline:
            raise CodeError(frame.f_lineno if frame.f_code.co_filename == FILE else None,
                            "the code ran for more than %g s and was stopped" % TIME_LIMIT_S)
        return trace

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        return run()
    finally:
        sys.settrace(before)


def _line_in_code(err):
    """The line of the network's code where `err` was raised (its innermost frame there)."""
    line, trace = None, err.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == FILE:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line
