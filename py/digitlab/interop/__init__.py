"""Models in and out of other tools' formats: ONNX (export and import) and TensorFlow.js (export)."""
