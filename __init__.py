"""kettle: differentiable quantum programming across NumPy/autograd, PyTorch, TensorFlow and JAX."""
from kettle import errors as errors
from kettle import gradients as gradients
from kettle import optimize as optimize
from kettle import qnn as qnn
from kettle.compiler.control_flow import cond as cond
from kettle.compiler.control_flow import for_loop as for_loop
from kettle.compiler.control_flow import while_loop as while_loop
from kettle.compiler.grad import grad as grad
from kettle.compiler.grad import jacobian as jacobian
from kettle.compiler.grad import value_and_grad as value_and_grad
from kettle.compiler.qjit import qjit as qjit
from kettle.core import kmath as math
from kettle.core import knumpy as numpy
from kettle.core.drawer import draw as draw
from kettle.core.mpl_drawer import draw_mpl as draw_mpl
from kettle.core.measurements import counts as counts
from kettle.core.measurements import density_matrix as density_matrix
from kettle.core.measurements import expval as expval
from kettle.core.measurements import mutual_info as mutual_info
from kettle.core.measurements import probs as probs
from kettle.core.measurements import purity as purity
from kettle.core.measurements import sample as sample
from kettle.core.measurements import state as state
from kettle.core.measurements import var as var
from kettle.core.measurements import vn_entropy as vn_entropy
from kettle.core.operator import Observable as Observable
from kettle.core.operator import Operation as Operation
from kettle.core.operator import Operator as Operator
from kettle.core.ops import CNOT as CNOT
from kettle.core.ops import CRX as CRX
from kettle.core.ops import CRY as CRY
from kettle.core.ops import CRZ as CRZ
from kettle.core.ops import CSWAP as CSWAP
from kettle.core.ops import CY as CY
from kettle.core.ops import CZ as CZ
from kettle.core.ops import ISWAP as ISWAP
from kettle.core.ops import RX as RX
from kettle.core.ops import RY as RY
from kettle.core.ops import RZ as RZ
from kettle.core.ops import SWAP as SWAP
from kettle.core.ops import SX as SX
from kettle.core.ops import Adjoint as Adjoint
from kettle.core.ops import Controlled as Controlled
from kettle.core.ops import BasisState as BasisState
from kettle.core.ops import ControlledPhaseShift as ControlledPhaseShift
from kettle.core.ops import CRot as CRot
from kettle.core.ops import Hadamard as Hadamard
from kettle.core.ops import Hamiltonian as Hamiltonian
from kettle.core.ops import Hermitian as Hermitian
from kettle.core.ops import Identity as Identity
from kettle.core.ops import IsingXX as IsingXX
from kettle.core.ops import IsingYY as IsingYY
from kettle.core.ops import IsingZZ as IsingZZ
from kettle.core.ops import MultiRZ as MultiRZ
from kettle.core.ops import PauliRot as PauliRot
from kettle.core.ops import PauliX as PauliX
from kettle.core.ops import PauliY as PauliY
from kettle.core.ops import PauliZ as PauliZ
from kettle.core.ops import PhaseShift as PhaseShift
from kettle.core.ops import Projector as Projector
from kettle.core.ops import QubitUnitary as QubitUnitary
from kettle.core.ops import Rot as Rot
from kettle.core.ops import S as S
from kettle.core.ops import StatePrep as StatePrep
from kettle.core.ops import T as T
from kettle.core.ops import Tensor as Tensor
from kettle.core.ops import Toffoli as Toffoli
from kettle.core.ops import adjoint as adjoint
from kettle.core.ops import ctrl as ctrl
from kettle.core.ops.channels import AmplitudeDamping as AmplitudeDamping
from kettle.core.ops.channels import BitFlip as BitFlip
from kettle.core.ops.channels import DepolarizingChannel as DepolarizingChannel
from kettle.core.ops.channels import GeneralizedAmplitudeDamping as GeneralizedAmplitudeDamping
from kettle.core.ops.channels import PhaseDamping as PhaseDamping
from kettle.core.ops.channels import PhaseFlip as PhaseFlip
from kettle.core.ops.channels import QubitChannel as QubitChannel
from kettle.core.ops.channels import ResetError as ResetError
from kettle.core.ops.qubit import H as H
from kettle.core.ops.qubit import X as X
from kettle.core.ops.qubit import Y as Y
from kettle.core.ops.qubit import Z as Z
from kettle.core.qnode import QNode as QNode
from kettle.core.qnode import qnode as qnode
from kettle.core.qnode import set_shots as set_shots
from kettle.core.shots import Shots as Shots
from kettle.core.specs import specs as specs
from kettle.core.tape import QuantumTape as QuantumTape
from kettle.core.templates import AmplitudeEmbedding as AmplitudeEmbedding
from kettle.core.templates import AngleEmbedding as AngleEmbedding
from kettle.core.templates import BasicEntanglerLayers as BasicEntanglerLayers
from kettle.core.templates import BasisEmbedding as BasisEmbedding
from kettle.core.templates import IQPEmbedding as IQPEmbedding
from kettle.core.templates import QFT as QFT
from kettle.core.templates import StronglyEntanglingLayers as StronglyEntanglingLayers
from kettle.core.wires import Wires as Wires
from kettle.devices.about import about as about
from kettle.devices.device import Capabilities as Capabilities
from kettle.devices.device import Device as Device
from kettle.devices.dispatch import execute_tapes as execute
from kettle.devices.registry import available_devices as available_devices
from kettle.devices.registry import device as device
from kettle.optimize import AdagradOptimizer as AdagradOptimizer
from kettle.optimize import AdamOptimizer as AdamOptimizer
from kettle.optimize import GradientDescentOptimizer as GradientDescentOptimizer
from kettle.optimize import LieAlgebraOptimizer as LieAlgebraOptimizer
from kettle.optimize import MomentumOptimizer as MomentumOptimizer
from kettle.optimize import NesterovMomentumOptimizer as NesterovMomentumOptimizer
from kettle.optimize import OptimizeResult as OptimizeResult
from kettle.optimize import QNGOptimizer as QNGOptimizer
from kettle.optimize import QNSPSAOptimizer as QNSPSAOptimizer
from kettle.optimize import RMSPropOptimizer as RMSPropOptimizer
from kettle.optimize import RotoselectOptimizer as RotoselectOptimizer
from kettle.optimize import RotosolveOptimizer as RotosolveOptimizer
from kettle.optimize import SPSAOptimizer as SPSAOptimizer
from kettle.optimize import ShotAdaptiveOptimizer as ShotAdaptiveOptimizer
from kettle.optimize import metric_tensor as metric_tensor

__version__ = "0.1.0"

__all__ = [
    "errors",
    "gradients",
    "optimize",
    "qnn",
    "math",
    "cond",
    "for_loop",
    "while_loop",
    "grad",
    "jacobian",
    "value_and_grad",
    "qjit",
    "numpy",
    "draw",
    "draw_mpl",
    "counts",
    "density_matrix",
    "execute",
    "expval",
    "mutual_info",
    "probs",
    "purity",
    "sample",
    "state",
    "var",
    "vn_entropy",
    "Observable",
    "Operation",
    "Operator",
    "CNOT",
    "CRX",
    "CRY",
    "CRZ",
    "CSWAP",
    "CY",
    "CZ",
    "ISWAP",
    "RX",
    "RY",
    "RZ",
    "SWAP",
    "SX",
    "Adjoint",
    "BasisState",
    "ControlledPhaseShift",
    "CRot",
    "Hadamard",
    "Hamiltonian",
    "Hermitian",
    "Identity",
    "IsingXX",
    "IsingYY",
    "IsingZZ",
    "MultiRZ",
    "PauliRot",
    "PauliX",
    "PauliY",
    "PauliZ",
    "PhaseShift",
    "Projector",
    "QubitUnitary",
    "Rot",
    "S",
    "StatePrep",
    "T",
    "Tensor",
    "Toffoli",
    "adjoint",
    "AmplitudeDamping",
    "BitFlip",
    "DepolarizingChannel",
    "GeneralizedAmplitudeDamping",
    "PhaseDamping",
    "PhaseFlip",
    "QubitChannel",
    "ResetError",
    "H",
    "X",
    "Y",
    "Z",
    "QNode",
    "qnode",
    "set_shots",
    "Shots",
    "specs",
    "QuantumTape",
    "AmplitudeEmbedding",
    "AngleEmbedding",
    "BasicEntanglerLayers",
    "StronglyEntanglingLayers",
    "BasisEmbedding",
    "IQPEmbedding",
    "QFT",
    "Controlled",
    "ctrl",
    "Wires",
    "about",
    "Capabilities",
    "Device",
    "available_devices",
    "device",
    "AdagradOptimizer",
    "AdamOptimizer",
    "GradientDescentOptimizer",
    "LieAlgebraOptimizer",
    "MomentumOptimizer",
    "NesterovMomentumOptimizer",
    "OptimizeResult",
    "QNGOptimizer",
    "QNSPSAOptimizer",
    "RMSPropOptimizer",
    "RotoselectOptimizer",
    "RotosolveOptimizer",
    "SPSAOptimizer",
    "ShotAdaptiveOptimizer",
    "metric_tensor",
    "__version__",
]
