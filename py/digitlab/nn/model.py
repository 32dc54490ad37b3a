"""A model is a list of layers applied in order, described by a JSON-able spec."""
import numpy as np

from .layers import LAYERS


class Sequential:
    def __init__(self, spec, input_shape, seed=0, max_params=None, max_values=None, initialise=True):
        """`spec` is a list of {"type": kind, **config}; `input_shape` is (H, W, C).

        With `max_params`, a spec that would need more parameters is refused
        (ValueError) before anything is allocated; with `max_values`, one with a
        layer that would hold more numbers for one image as it reads it.
        `initialise=False` leaves the weights zero, for a model whose weights are
        loaded next.
        """
        self.spec = [dict(s) for s in spec]
        self.input_shape = tuple(input_shape)
        rng = np.random.default_rng(seed) if initialise else None
        self.layers = []
        self.shapes = [self.input_shape]  # shapes[i] is what layer i reads
        shape, total, seeded = self.input_shape, 0, 0
        for entry in self.spec:
            config = {k: v for k, v in entry.items() if k != "type"}
            kind = LAYERS[entry["type"]]
            if kind.seeded:
                config["seed"], seeded = layer_seed(seed, seeded), seeded + 1
            layer = kind(**config)
            total += layer.count_params(shape)
            if max_params is not None and total > max_params:
                raise ValueError("more than %d parameters" % max_params)
            output = layer.build(shape, rng)
            if min(output) < 1:
                raise ValueError("layer %d (%s) leaves no output" % (len(self.layers), entry["type"]))
            if max_values is not None and layer.values_per_image(shape, output) > max_values:
                raise ValueError("layer %d (%s) would hold more than %d numbers an image"
                                 % (len(self.layers), entry["type"], max_values))
            shape = output
            self.layers.append(layer)
            self.shapes.append(shape)
        self.output_shape = shape
        self.frozen = 0  # the first `frozen` layers are not trained: no cache, no backward, no update

    def top(self, start):
        """Layers `start`.. as a model of their own that shares them: training it trains this one."""
        top = Sequential([], self.shapes[start])
        top.spec, top.layers, top.shapes = self.spec[start:], self.layers[start:], self.shapes[start:]
        top.output_shape = self.output_shape
        return top

    def trainable_layers(self):
        return self.layers[self.frozen:]

    def forward(self, x, training=False):
        for i, layer in enumerate(self.layers):
            x = layer.forward(x, training and i >= self.frozen)  # a frozen layer keeps nothing for backward
        return x

    def backward(self, grad, input_grad=True):
        """Set every trained layer's `grads`; return the gradient w.r.t. the input, or None without
        `input_grad` (training needs none, and it is the costliest part of a first conv layer).
        The backward pass stops at the first trained layer: frozen layers cost nothing."""
        trained = self.trainable_layers()
        if input_grad and self.frozen:
            raise ValueError("no input gradient through frozen layers")
        for layer in reversed(trained[1:]):
            grad = layer.backward(grad)
        if input_grad:
            return trained[0].backward(grad)
        trained[0].param_grads(grad)
        return None

    def named_params(self):
        """(name, array) pairs in a stable order, e.g. ("3.w", ...)."""
        return [("%d.%s" % (i, k), v) for i, layer in enumerate(self.layers) for k, v in sorted(layer.params.items())]

    def count_params(self):
        return sum(v.size for _, v in self.named_params())


def layer_seed(seed, earlier):
    """The seed of a model's seeded layer (a dropout) after `earlier` ones: the model's own for the
    first, as every model so far was trained with; [seed, earlier] after it, since two dropouts
    drawing one mask would drop the same units and scale the kept ones twice."""
    return seed if earlier == 0 else [seed, earlier]
