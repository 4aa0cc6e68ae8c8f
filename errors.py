"""Every exception kettle raises on purpose.

Each error names the offending object, value or wire and says what is allowed. Errors subclass the
built-in exception a user would naturally catch (``ValueError`` for bad values, ``TypeError`` for
wrong kinds of objects), and carry the offending object as an attribute for programmatic handling.
"""
from __future__ import annotations

from typing import Any


class KettleError(Exception):
    """Base class of every kettle error."""

    # TF's autograph re-raises exception types it does not know as StagingError; this marker
    # keeps kettle errors (type, message, attributes) unchanged inside tf.function.
    ag_pass_through = True


class WireError(KettleError, ValueError):
    """An operator or measurement uses wires that do not exist or are given wrongly.

    Attributes:
        wires: the offending wire label(s).
    """

    def __init__(self, message: str, *, wires: Any = None):
        super().__init__(message)
        self.wires = wires


class OperatorError(KettleError, ValueError):
    """An operator was built with a wrong number of parameters or wires, or bad values.

    Attributes:
        operator: the operator name.
    """

    def __init__(self, message: str, *, operator: str | None = None):
        super().__init__(message)
        self.operator = operator


class MatrixError(OperatorError):
    """A matrix argument is not of the required kind (Hermitian, unitary, square, power of two).

    Attributes:
        operator: the operator name.
        matrix: the offending matrix.
    """

    def __init__(self, message: str, *, operator: str | None = None, matrix: Any = None):
        super().__init__(message, operator=operator)
        self.matrix = matrix


class StatePrepError(OperatorError):
    """A state-preparation vector has the wrong length, is not normalized, or is misplaced."""


class ShotsError(KettleError, ValueError):
    """A shots value is not None, a positive integer, or a sequence of positive integers.

    Attributes:
        shots: the offending value.
    """

    def __init__(self, message: str, *, shots: Any = None):
        super().__init__(message)
        self.shots = shots


class MeasurementError(KettleError, ValueError):
    """A measurement cannot be made as requested (e.g. sample with shots=None).

    Attributes:
        measurement: the measurement name.
    """

    def __init__(self, message: str, *, measurement: str | None = None):
        super().__init__(message)
        self.measurement = measurement


class QuantumFunctionError(KettleError, TypeError):
    """A quantum function returned something that is not a measurement, or misbehaved otherwise.

    Attributes:
        value: the offending returned object.
    """

    def __init__(self, message: str, *, value: Any = None):
        super().__init__(message)
        self.value = value


class InterfaceError(KettleError, ValueError):
    """Arrays of two frameworks were mixed, or an interface name is unknown.

    Attributes:
        interfaces: the interfaces involved.
    """

    def __init__(self, message: str, *, interfaces: Any = None):
        super().__init__(message)
        self.interfaces = interfaces


class FrameworkNotInstalledError(KettleError, ImportError):
    """A feature needs an optional framework (PyTorch, TensorFlow, JAX, Keras, dask, matplotlib)
    that is not installed.

    Attributes:
        framework: the framework's name as users know it ("PyTorch").
        extra: the kettle extra that installs it (``pip install kettle[extra]``).
        name: the module that could not be imported (as for ``ImportError``).
    """

    def __init__(self, message: str, *, framework: str, extra: str, module: str):
        super().__init__(message, name=module)
        self.framework = framework
        self.extra = extra


class DrawError(KettleError, ValueError):
    """A circuit drawing was asked for with an unknown option or level.

    Attributes:
        value: the offending option or value.
    """

    def __init__(self, message: str, *, value: Any = None):
        super().__init__(message)
        self.value = value


class DiffMethodError(KettleError, ValueError):
    """A differentiation method is unknown or not supported in this combination.

    Attributes:
        diff_method: the requested method.
    """

    def __init__(self, message: str, *, diff_method: Any = None):
        super().__init__(message)
        self.diff_method = diff_method


class DeviceError(KettleError, ValueError):
    """A device cannot be found, created, or cannot run what was asked of it.

    Attributes:
        device: the device name.
        operation: the gate or observable the device cannot run, when there is one.
    """

    def __init__(self, message: str, *, device: str | None = None, operation: str | None = None):
        super().__init__(message)
        self.device = device
        self.operation = operation


class DeviceMethodUndefinedError(DeviceError, NotImplementedError):
    """A device was asked for an optional method it does not provide (its own derivatives, VJPs).

    Attributes:
        device: the device name.
        method: the missing method or derivative kind.
    """

    def __init__(self, message: str, *, device: str | None = None, method: str | None = None):
        super().__init__(message, device=device)
        self.method = method


class DecompositionUndefinedError(KettleError, NotImplementedError):
    """An operator has no decomposition into other operators."""


class MatrixUndefinedError(KettleError, NotImplementedError):
    """An operator has no matrix representation (templates, state preparations)."""


class GeneratorUndefinedError(KettleError, NotImplementedError):
    """An operator has no generator (non-parameterized or multi-parameter gates)."""


class NonDifferentiableError(KettleError, ValueError):
    """Differentiation was asked for with respect to a value marked ``requires_grad=False``, or of
    something that cannot be differentiated (samples).

    Attributes:
        argnum: the offending argument index, when there is one.
    """

    def __init__(self, message: str, *, argnum: Any = None):
        super().__init__(message)
        self.argnum = argnum


class OptimizerError(KettleError, ValueError):
    """An optimizer got a bad hyper-parameter, a cost that is not a real scalar, or arguments it
    cannot optimize.

    Attributes:
        optimizer: the optimizer's class name, when there is one.
        value: the offending value.
    """

    def __init__(self, message: str, *, optimizer: str | None = None, value: Any = None):
        super().__init__(message)
        self.optimizer = optimizer
        self.value = value


class DifferentiableCompilerError(KettleError, ValueError):
    """A derivative inside a compiled program (``kt.qjit``) cannot be taken as asked: ``kt.grad`` of
    an output that is not a real scalar, or a finite-diff QNode differentiated with method="auto".

    Attributes:
        value: the offending value (the output's shape and dtype, or the QNode's diff method).
    """

    def __init__(self, message: str, *, value: Any = None):
        super().__init__(message)
        self.value = value


class ControlFlowError(KettleError, ValueError):
    """``kt.for_loop``, ``kt.while_loop`` or ``kt.cond`` cannot be compiled as written: branches
    returning different structures, a loop body changing its carried values' shapes, or a traced
    condition inside a QNode.

    Attributes:
        value: the offending value.
    """

    def __init__(self, message: str, *, value: Any = None):
        super().__init__(message)
        self.value = value
