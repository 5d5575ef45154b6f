"""Cheaper IR copies for Numba's inliner (compile time only; the compiled code does not change).

Numba inlines a function at the IR level (``@njit(inline=...)``: :func:`aibt.engine.nb._inline_into`)
by deep-copying the callee's IR twice, one block at a time, each block with a fresh ``deepcopy`` memo
(``numba.core.inline_closurecall.InlineWorker.inline_ir``, its inner ``copy_ir``). Every block
refers to the function's one ``Scope``, which holds every variable of the function, so each block's
copy copies the whole scope again: ``B`` blocks of ``V`` variables cost ``B x V`` variable copies
instead of ``B + V``. Numba's own tracker: numba/numba#8989 (open; numba/numba#8990 and #9245 removed
other copies), numba-cuda's numba/numba-cuda#688 and #689 measured the same on GPU kernels.

For the engine's day step (``rebalance_to_targets_nb``: 123 blocks and 1,394 variables, with
``order_shares_nb``: 75 and 971, inlined into it) that was 1.7 s of an empty cache's ~15 s compiling.

:func:`install` swaps the ``copy`` module that ``inline_closurecall`` looked up for an object whose
``deepcopy`` gives the blocks of one pass over a function's IR one memo: consecutive blocks that share
a scope share its copy, as the blocks of the original share the original. A block seen again (a second
pass over the same IR) or a block of another scope starts a new memo, so two passes never share
objects and no copy shares an object with its original. Everything else is ``copy.deepcopy``
unchanged. The swap is made only where the pattern it replaces is there (Numba 0.59 to 0.68 have it);
otherwise Numba runs as shipped.
"""
from __future__ import annotations

import copy as _copy

__all__ = ["install", "installed"]


class _BlockCopier:
    """``copy``-module stand-in for ``numba.core.inline_closurecall`` (only ``deepcopy`` is used there)."""

    def __init__(self, block_type):
        self._block_type = block_type
        self._scope = None
        self._memo: dict = {}

    def deepcopy(self, x, memo=None):
        if memo is not None or type(x) is not self._block_type:
            return _copy.deepcopy(x, memo)
        if x.scope is not self._scope or id(x) in self._memo:
            self._scope = x.scope  # a new pass over a function's blocks: a new memo
            self._memo = {}
        return _copy.deepcopy(x, self._memo)

    def __getattr__(self, name):  # anything else: the copy module's own
        return getattr(_copy, name)


def _pattern_present(icc) -> bool:
    """True when ``InlineWorker.inline_ir`` still copies blocks one by one through the module's ``copy``."""
    code = getattr(getattr(icc, "InlineWorker", None), "inline_ir", None)
    code = getattr(code, "__code__", None)
    if code is None or getattr(icc, "copy", None) is not _copy:
        return False
    inner = [c for c in code.co_consts if hasattr(c, "co_name") and c.co_name == "copy_ir"]
    return bool(inner) and "deepcopy" in inner[0].co_names and "copy" in inner[0].co_names


def install() -> bool:
    """Swap in the shared-memo block copy (idempotent). Returns whether it is in place."""
    from numba.core import inline_closurecall as icc
    from numba.core import ir

    if isinstance(getattr(icc, "copy", None), _BlockCopier):
        return True
    if not _pattern_present(icc):
        return False
    icc.copy = _BlockCopier(ir.Block)
    return True


def installed() -> bool:
    from numba.core import inline_closurecall as icc

    return isinstance(getattr(icc, "copy", None), _BlockCopier)
