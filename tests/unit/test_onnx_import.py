"""ONNX import: graphs shaped as PyTorch's and TensorFlow's exporters write them (built here with
the `onnx` helper API), run by ONNX Runtime and by the digitlab model made of them; and the files
we refuse, each in one line, before anything large is allocated."""
import tracemalloc

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from digitlab import cli
from digitlab.errors import ModelFileError
from digitlab.interop.onnx_export import onnx_bytes
from digitlab.interop.onnx_import import import_onnx
from digitlab.model_file import load_model, model_bytes
from digitlab.nn.model import Sequential
from digitlab.nn.losses import softmax
from tests.unit.exported import trained_looking

RNG = np.random.default_rng(3)


def weights(*shape):
    return RNG.normal(0, 0.1, shape).astype(np.float32)


def initialisers(**arrays):
    return [numpy_helper.from_array(value, name) for name, value in arrays.items()]


def onnx_file(nodes, inits, input_dims, output="out", opset=17, metadata=None):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_dims)],
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", "classes"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def pytorch_cnn(flatten="Flatten"):
    """What torch.onnx.export writes for Conv-ReLU-MaxPool twice, a flatten and two Linear layers."""
    nodes = [
        helper.make_node("Conv", ["x", "c1.w", "c1.b"], ["h1"], "/conv1/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[1, 1], dilations=[1, 1], group=1),
        helper.make_node("Relu", ["h1"], ["h2"], "/relu1/Relu"),
        helper.make_node("MaxPool", ["h2"], ["h3"], "/pool1/MaxPool", kernel_shape=[2, 2], strides=[2, 2],
                         pads=[0, 0, 0, 0], ceil_mode=0),
        helper.make_node("Conv", ["h3", "c2.w", "c2.b"], ["h4"], "/conv2/Conv", kernel_shape=[5, 5], pads=[0, 0, 0, 0],
                         strides=[1, 1]),
        helper.make_node("Relu", ["h4"], ["h5"], "/relu2/Relu"),
        helper.make_node("MaxPool", ["h5"], ["h6"], "/pool2/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
    ]
    if flatten == "Flatten":
        nodes.append(helper.make_node("Flatten", ["h6"], ["f"], "/Flatten", axis=1))
    else:  # x.view(-1, 250) with its shape as a Constant node
        shape = numpy_helper.from_array(np.array([-1, 250], np.int64))
        nodes += [helper.make_node("Constant", [], ["shape"], "/Constant", value=shape),
                  helper.make_node("Reshape", ["h6", "shape"], ["f"], "/Reshape")]
    nodes += [
        helper.make_node("Gemm", ["f", "fc1.w", "fc1.b"], ["d1"], "/fc1/Gemm", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Relu", ["d1"], ["d2"], "/relu3/Relu"),
        helper.make_node("Gemm", ["d2", "fc2.w", "fc2.b"], ["out"], "/fc2/Gemm", alpha=1.0, beta=1.0, transB=1),
    ]
    inits = initialisers(**{"c1.w": weights(6, 1, 3, 3), "c1.b": weights(6), "c2.w": weights(10, 6, 5, 5),
                            "c2.b": weights(10), "fc1.w": weights(32, 250), "fc1.b": weights(32),
                            "fc2.w": weights(10, 32), "fc2.b": weights(10)})
    return onnx_file(nodes, inits, ["batch", 1, 28, 28])


def tensorflow_cnn():
    """What tf2onnx writes for a Keras NHWC CNN: transposes around the convolution, a Reshape to
    [-1, n] after transposing back, MatMul + Add for each Dense, and a Softmax."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["t1"], "conv2d/Transpose", perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t1", "k1", "b1"], ["c1"], "conv2d/Conv2D", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[1, 1], dilations=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], "conv2d/Relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], "max_pooling2d/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Transpose", ["p1"], ["t2"], "max_pooling2d/Transpose", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["t2", "flat"], ["f"], "flatten/Reshape"),
        helper.make_node("MatMul", ["f", "w1"], ["m1"], "dense/MatMul"),
        helper.make_node("Add", ["m1", "bd1"], ["a1"], "dense/BiasAdd"),
        helper.make_node("Relu", ["a1"], ["r2"], "dense/Relu"),
        helper.make_node("MatMul", ["r2", "w2"], ["m2"], "dense_1/MatMul"),
        helper.make_node("Add", ["m2", "bd2"], ["logits"], "dense_1/BiasAdd"),
        helper.make_node("Softmax", ["logits"], ["out"], "dense_1/Softmax", axis=-1),
    ]
    inits = initialisers(k1=weights(8, 1, 3, 3), b1=weights(8), flat=np.array([-1, 14 * 14 * 8], np.int64),
                         w1=weights(14 * 14 * 8, 16), bd1=weights(16), w2=weights(16, 10), bd2=weights(10))
    return onnx_file(nodes, inits, ["batch", 28, 28, 1], opset=13)


def mlp_on_flat_images():
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], "fc1", transB=1),
             helper.make_node("Relu", ["h"], ["r"], "relu"),
             helper.make_node("Dropout", ["r"], ["d"], "dropout"),
             helper.make_node("Gemm", ["d", "w2", "b2"], ["out"], "fc2", transB=1),
             ]
    return onnx_file(nodes, initialisers(w1=weights(20, 784), b1=weights(20), w2=weights(3, 20), b2=weights(3)),
                     ["batch", 784])


IMAGES = RNG.random((16, 28, 28, 1)).astype(np.float32)  # NHWC, as digitlab feeds its models


def runtime_output(data, images):
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    if len(shape) == 2:
        images = images.reshape(len(images), -1)
    elif shape[1] == 1:
        images = images.transpose(0, 3, 1, 2)
    return session.run(None, {"x": images})[0]


@pytest.mark.parametrize("make, ends_in_softmax", [
    (pytorch_cnn, False), (lambda: pytorch_cnn(flatten="Reshape"), False), (tensorflow_cnn, True),
    (mlp_on_flat_images, False)], ids=["pytorch-flatten", "pytorch-reshape", "tensorflow", "mlp-flat-input"])
def test_an_exporters_graph_becomes_a_model_that_computes_what_onnx_runtime_does(make, ends_in_softmax):
    data = make()
    saved = load_model(import_onnx(data))
    theirs = runtime_output(data, IMAGES)
    expected = theirs if ends_in_softmax else softmax(theirs)
    np.testing.assert_allclose(saved.predict_proba(IMAGES), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["cnn", "deep"])  # deep pools a 7x7 map, dropping its odd edge
def test_our_export_comes_back_the_same_model_with_its_labels_and_temperature(name):
    saved = trained_looking(name)
    saved.labels[:] = ["cat", "dog"] + saved.labels[2:]
    back = load_model(import_onnx(onnx_bytes(saved)))
    assert back.labels == saved.labels and back.temperature == pytest.approx(saved.temperature)
    np.testing.assert_array_equal(back.predict_proba(IMAGES), saved.predict_proba(IMAGES))


def test_without_label_names_ten_classes_are_numbered():
    assert load_model(import_onnx(pytorch_cnn())).labels == [str(d) for d in range(10)]


@pytest.mark.parametrize("names", [["a", "a"], ["", "b"]], ids=["a name twice", "an empty name"])
def test_label_names_a_model_file_cannot_hold_are_numbered_instead(names):
    saved = trained_looking("cnn")
    saved.labels[:] = names + saved.labels[2:]
    assert load_model(import_onnx(onnx_bytes(saved))).labels == [str(d) for d in range(10)]


def refusal(data):
    with pytest.raises(ModelFileError) as refused:
        import_onnx(data)
    message = str(refused.value)
    assert message.startswith("This ONNX file cannot be imported: ") and "\n" not in message
    return message


def node(op, inputs, output, name, **attributes):
    return helper.make_node(op, inputs, [output], name, **attributes)


def test_an_unknown_operation_is_refused_with_the_nodes_name_and_type():
    data = onnx_file([node("Gemm", ["x", "w", "b"], "h", "fc1", transB=1), node("Sigmoid", ["h"], "out", "gate")],
                     initialisers(w=weights(10, 784), b=weights(10)), ["batch", 784])
    assert "'gate' is a Sigmoid" in refusal(data)


def test_a_branch_is_refused_not_read_in_part():
    nodes = [node("Gemm", ["x", "w", "b"], "h", "fc1", transB=1), node("Relu", ["h"], "r", "relu"),
             node("Add", ["r", "h"], "out", "skip")]  # a residual connection
    message = refusal(onnx_file(nodes, initialisers(w=weights(10, 784), b=weights(10)), ["batch", 784]))
    assert "'skip' (Add)" in message


def test_a_cycle_is_refused():
    graph = helper.make_graph([node("Relu", ["y"], "z", "a"), node("Relu", ["z"], "y", "b")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 784])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "classes"])])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    assert "does not follow the one before it" in refusal(data)


def test_a_convolution_digitlab_lacks_is_refused_with_its_name():
    nodes = [node("Conv", ["x", "w"], "c", "dilated", kernel_shape=[3, 3], dilations=[2, 2]),
             node("Flatten", ["c"], "f", "flat"), node("Gemm", ["f", "w2"], "out", "fc")]
    data = onnx_file(nodes, initialisers(w=weights(4, 1, 3, 3), w2=weights(24 * 24 * 4, 10)), ["batch", 1, 28, 28])
    assert "'dilated' (Conv)" in refusal(data)


def test_another_input_size_is_refused():
    nodes = [node("Flatten", ["x"], "f", "flat"), node("Gemm", ["f", "w"], "out", "fc")]
    data = onnx_file(nodes, initialisers(w=weights(3 * 32 * 32, 10)), ["batch", 3, 32, 32])
    assert "28x28 grey" in refusal(data)


def test_a_huge_declared_tensor_is_refused_before_it_is_allocated():
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[200000, 200000])  # 160 GB, declared only
    graph = helper.make_graph([node("Gemm", ["x", "w"], "out", "fc")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 784])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "classes"])], [huge])
    data = helper.make_model(graph).SerializeToString()
    assert "more than the 20000000 numbers" in refusal(data)


def test_a_tensor_with_external_data_is_refused_never_read():
    tensor = numpy_helper.from_array(weights(10, 784), "w")
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="/etc/passwd")
    graph = helper.make_graph([node("Gemm", ["x", "w"], "out", "fc")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 784])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "classes"])], [tensor])
    assert "outside the file" in refusal(helper.make_model(graph).SerializeToString())


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_file_is_refused(cut):
    data = pytorch_cnn()
    assert "not a readable ONNX file" in refusal(data[:int(len(data) * cut)])


def test_a_file_that_is_no_onnx_is_refused():
    assert refusal(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)


def test_the_cli_imports_and_says_what_it_made(tmp_path, capsys):
    source = tmp_path / "tf.onnx"
    source.write_bytes(tensorflow_cnn())
    out = tmp_path / "tf.npz"
    assert cli.main(["import", str(source), str(out)]) == 0
    said = capsys.readouterr().out
    assert "conv2d, relu, maxpool2d, flatten, dense, relu, dense" in said
    assert load_model(str(out)).name == "tf"
    assert cli.main(["import", str(tmp_path / "none.onnx"), str(out)]) == 1
    assert "no ONNX file at" in capsys.readouterr().err


def test_a_relu_between_the_flatten_and_the_dense_layer_keeps_the_rows_in_order():
    model = Sequential([{"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "flatten"}, {"type": "relu"},
                        {"type": "dense", "units": 10}], (28, 28, 1), seed=2)
    saved = load_model(model_bytes(model, list("0123456789")))
    np.testing.assert_allclose(load_model(import_onnx(onnx_bytes(saved))).predict_proba(IMAGES),
                               saved.predict_proba(IMAGES), atol=1e-6, rtol=0)


def test_a_div_before_the_last_layer_is_refused_not_moved_to_the_end():
    nodes = [node("Gemm", ["x", "w1"], "h", "fc1"), node("Div", ["h", "t"], "d", "scale"),
             node("Relu", ["d"], "r", "relu"), node("Gemm", ["r", "w2"], "out", "fc2")]
    data = onnx_file(nodes, initialisers(w1=weights(784, 20), t=np.array(2.0, np.float32), w2=weights(20, 10)),
                     ["batch", 784])
    assert "'relu' (Relu) comes after a Div" in refusal(data)


def test_a_pooling_that_pads_its_odd_edge_is_refused():
    nodes = [node("MaxPool", ["x"], "p", "padded", kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER"),
             node("Flatten", ["p"], "f", "flat"), node("Gemm", ["f", "w"], "out", "fc")]
    data = onnx_file(nodes, initialisers(w=weights(14 * 14, 10)), ["batch", 1, 28, 28])
    assert "'padded' (MaxPool) is not a square pooling" in refusal(data)


def unchecked_conv_net(name, **conv_attributes):
    """A 3x3 convolution `name` with `conv_attributes`, flattened into a dense layer: a file ONNX's own
    checker would refuse, written without it."""
    nodes = [node("Conv", ["x", "w"], "c", name, kernel_shape=[3, 3], **conv_attributes),
             node("Flatten", ["c"], "f", "flat"), node("Gemm", ["f", "w2"], "out", "fc")]
    return helper.make_model(helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "classes"])],
        initialisers(w=weights(4, 1, 3, 3), w2=weights(26 * 26 * 4, 10)))).SerializeToString()


def test_a_convolution_with_a_zero_stride_is_refused():
    assert "'still' (Conv) has a stride of 0" in refusal(unchecked_conv_net("still", strides=[0, 0]))


@pytest.mark.parametrize("bias", [11, 1])  # one too many, and one that NumPy would broadcast to all ten
def test_a_bias_that_does_not_fit_its_layer_is_refused(bias):
    data = onnx_file([node("Gemm", ["x", "w", "b"], "out", "fc", transB=1)],
                     initialisers(w=weights(10, 784), b=weights(bias)), ["batch", 784])
    assert "layer 1's b is (%d,), not (10,)" % bias in refusal(data)


def dense_net(w, b):
    """One Gemm over flat images: x (batch, 784) @ w.T + b."""
    return onnx_file([node("Gemm", ["x", "w", "b"], "out", "fc", transB=1)], [w, b], ["batch", 784])


@pytest.mark.parametrize("raw", [True, False])  # listed one by one, ONNX keeps float16 as bits in int32_data
def test_float16_weights_are_read_as_bytes_or_listed(raw):
    w, b = weights(10, 784).astype(np.float16), weights(10).astype(np.float16)
    halves = [helper.make_tensor(name, TensorProto.FLOAT16, value.shape,
                                 value.tobytes() if raw else value.flatten().tolist(), raw=raw)
              for name, value in (("w", w), ("b", b))]
    as_floats = load_model(import_onnx(dense_net(*initialisers(w=w.astype(np.float32), b=b.astype(np.float32)))))
    np.testing.assert_array_equal(load_model(import_onnx(dense_net(*halves))).predict_proba(IMAGES),
                                  as_floats.predict_proba(IMAGES))


def test_a_float16_listed_with_more_than_16_bits_is_refused():
    b = TensorProto(name="b", data_type=TensorProto.FLOAT16, dims=[10], int32_data=[2 ** 16] * 10)
    assert "a float16 tensor lists a number of more than 16 bits" in refusal(dense_net(*initialisers(w=weights(10, 784)), b))


def test_a_gemm_bias_written_as_a_row_is_the_layers_bias():
    w, b = weights(10, 784), weights(10)
    data = dense_net(*initialisers(w=w, b=b.reshape(1, 10)))
    np.testing.assert_allclose(load_model(import_onnx(data)).predict_proba(IMAGES),
                               softmax(runtime_output(data, IMAGES)), atol=1e-5, rtol=0)


def test_an_attribute_of_the_wrong_kind_is_refused():
    assert "a node's attributes are malformed" in refusal(unchecked_conv_net("conv", strides=1))  # a number, not a list


def test_a_reshape_to_an_infinite_size_is_refused():
    nodes = [node("Reshape", ["x", "s"], "f", "flat"), node("MatMul", ["f", "w"], "out", "fc")]
    data = helper.make_model(helper.make_graph(  # ONNX's checker would refuse a float shape: written without it
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "classes"])],
        initialisers(s=np.array([np.inf, 784], np.float32), w=weights(784, 10)))).SerializeToString()
    assert "a node's attributes are malformed" in refusal(data)


def test_fields_of_the_wrong_wire_type_are_refused_without_allocating_what_they_claim():
    node_output_as_a_number = b"\x10\x80\x80\x80\x80\x08"  # output = 2**31, a number where a name belongs
    name_as_a_huge_number = b"\x3a\x08\x0a\x06" + node_output_as_a_number  # graph { node { ... } }
    graph_as_a_number = b"\x38\x05"  # graph = 5
    for data in (name_as_a_huge_number, graph_as_a_number):
        tracemalloc.start()
        try:
            assert "not a readable ONNX file" in refusal(data)
            assert tracemalloc.get_traced_memory()[1] < 10 * 2 ** 20
        finally:
            tracemalloc.stop()


def test_a_tensor_of_many_dimensions_is_refused_at_once():
    tensor = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1] * 100000)
    graph = helper.make_graph([node("Gemm", ["x", "w"], "out", "fc")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 784])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "classes"])], [tensor])
    assert "more than 8 dimensions" in refusal(helper.make_model(graph).SerializeToString())
