"""Quantum layers for neural networks: ``kt.qnn.TorchLayer`` and ``kt.qnn.KerasLayer``.

Each is imported on first use, so importing kettle does not import torch or keras. When keras is
already imported, KerasLayer is imported with kettle: that registers it with Keras, so
``keras.models.load_model`` finds it in a fresh process after ``import keras; import kettle``
(otherwise touch ``kt.qnn.KerasLayer`` or pass ``custom_objects``).
"""
from __future__ import annotations

import sys

from kettle.core.qmath import require_framework

__all__ = ["TorchLayer", "KerasLayer"]


def __getattr__(name: str):
    if name == "TorchLayer":
        require_framework("torch", feature="kt.qnn.TorchLayer")
        from kettle.interfaces.torch_layer import TorchLayer

        return TorchLayer
    if name == "KerasLayer":
        require_framework("keras", feature="kt.qnn.KerasLayer")
        from kettle.interfaces.keras_layer import KerasLayer

        return KerasLayer
    raise AttributeError(f"module 'kettle.qnn' has no attribute {name!r}")


if sys.modules.get("keras") is not None:  # cheap then, and saved models can be loaded without further steps
    __getattr__("KerasLayer")
