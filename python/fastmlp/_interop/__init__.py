"""Models in and out of fastmlp, around one neutral representation of a dense model.

Every path goes through ``graph.ModelGraph`` (Keras 3's functional config as Python objects, with
weights beside each layer): readers of Keras files and importers of scikit-learn and PyTorch models
produce one; the Keras writer, the ONNX exporter and the NumPy executor consume one. Private until it is
wired into ``fastmlp.models`` (``load_model``, ``from_sklearn``, ``from_torch``, ``Model.save``/``export``).
"""
