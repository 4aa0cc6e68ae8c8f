"""Optimizers of the NumPy/autograd interface and the ``minimize`` loop."""
from kettle.optimize.adaptive import AdagradOptimizer as AdagradOptimizer
from kettle.optimize.adaptive import AdamOptimizer as AdamOptimizer
from kettle.optimize.adaptive import RMSPropOptimizer as RMSPropOptimizer
from kettle.optimize.base import Optimizer as Optimizer
from kettle.optimize.base import OptimizeResult as OptimizeResult
from kettle.optimize.gradient_descent import GradientDescentOptimizer as GradientDescentOptimizer
from kettle.optimize.gradient_descent import MomentumOptimizer as MomentumOptimizer
from kettle.optimize.gradient_descent import NesterovMomentumOptimizer as NesterovMomentumOptimizer
from kettle.optimize.lie_algebra import LieAlgebraOptimizer as LieAlgebraOptimizer
from kettle.optimize.metric_tensor import metric_tensor as metric_tensor
from kettle.optimize.qng import QNGOptimizer as QNGOptimizer
from kettle.optimize.qnspsa import QNSPSAOptimizer as QNSPSAOptimizer
from kettle.optimize.rotosolve import RotoselectOptimizer as RotoselectOptimizer
from kettle.optimize.rotosolve import RotosolveOptimizer as RotosolveOptimizer
from kettle.optimize.shot_adaptive import ShotAdaptiveOptimizer as ShotAdaptiveOptimizer
from kettle.optimize.spsa import SPSAOptimizer as SPSAOptimizer
