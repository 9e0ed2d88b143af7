"""Models in and out of fastmlp, around one neutral representation of a dense model.

Every path goes through ``graph.ModelGraph`` (Keras 3's functional config as Python objects, with
weights beside each layer): readers of Keras files and importers of scikit-learn and PyTorch models
produce one, which ``fastmlp_models.model_from_graph`` makes a fastmlp model; ``graph_from_model`` makes
a fastmlp model one again for the Keras writer, the ONNX exporter and the scikit-learn exporter. The
public entry points are ``fastmlp.models.load_model``/``from_sklearn``/``from_torch``/``to_sklearn``,
``Model.save`` (.keras) and ``Model.export`` (ONNX), and ``fastmlp.sklearn.register_skl2onnx_converters``.
"""
