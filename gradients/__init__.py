"""Gradient transforms: tape in, (tapes, post-processing) out; or QNode in, Jacobian function out."""
from kettle.gradients.finite_diff import finite_diff as finite_diff
from kettle.gradients.hessian import param_shift_hessian as param_shift_hessian
from kettle.gradients.param_shift import param_shift as param_shift
from kettle.gradients.spsa import spsa_grad as spsa_grad
