"""Compiled hybrid programs: ``kt.qjit``, derivatives inside them, and structured control flow.

Everything here compiles through JAX; JAX is imported only when these functions are used.
"""
