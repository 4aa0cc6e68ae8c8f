"""The compiled state-vector engine of default.qubit for NumPy states.

Modules: ``kernels`` (in-place gate kernels), ``reductions`` (measurement kernels), ``apply``
(gate → kernel dispatch by class traits), ``fusion`` (gate blocks, plan cached per structure),
``measure`` (analytic measurements), ``simulate`` (a tape on one flat state), ``adjoint`` (the
in-place adjoint sweep) and ``config`` (numba availability, threads, thresholds).
"""
