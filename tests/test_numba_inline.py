"""The shared-memo IR copy of :mod:`aibt.engine.numba_inline` (compile time only)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from numba import njit
from numba.core import inline_closurecall as icc
from numba.core import ir
from numba.core.compiler import run_frontend

from aibt.engine import nb, numba_inline  # noqa: F401  (importing the engine installs it)


def _fn(x, k):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > k:
            s += x[i]
        else:
            s -= 1.0
    return s


def test_installed_on_this_numba():
    assert numba_inline.installed()
    assert numba_inline.install()  # idempotent


def test_blocks_of_one_pass_share_one_scope_copy_and_nothing_with_the_original():
    f_ir = run_frontend(_fn)
    shim = icc.copy
    assert len(f_ir.blocks) > 3
    first = {k: shim.deepcopy(b) for k, b in f_ir.blocks.items()}
    scopes = {id(b.scope) for b in first.values()}
    assert len(scopes) == 1 and id(next(iter(f_ir.blocks.values())).scope) not in scopes
    second = {k: shim.deepcopy(b) for k, b in f_ir.blocks.items()}  # a second pass: new objects
    assert {id(b.scope) for b in second.values()}.isdisjoint(scopes)
    for k in f_ir.blocks:
        assert first[k] is not second[k] and first[k] is not f_ir.blocks[k]
        text = [[str(s) for s in blocks[k].body] for blocks in (first, f_ir.blocks, second)]
        assert text[0] == text[1] == text[2]
    # a copy of the copy (Numba's second copy_ir) does not reuse the first memo either
    third = {k: shim.deepcopy(b) for k, b in first.items()}
    assert all(third[k] is not first[k] for k in first)
    # everything that is not a block, or comes with its own memo, is copy.deepcopy unchanged
    lst = [1, [2, 3]]
    assert shim.deepcopy(lst) == lst and shim.deepcopy(lst) is not lst
    assert shim.copy is copy.copy


def test_inlined_functions_compute_what_python_does():
    callee = njit(inline=lambda *a: True)(_fn)

    @njit
    def caller(x, k):
        return callee(x, k) + callee(x, k + 1.0)

    x = np.linspace(-2.0, 3.0, 11)
    assert caller(x, 0.5) == pytest.approx(_fn(x, 0.5) + _fn(x, 1.5), abs=0)
    assert isinstance(icc.copy, numba_inline._BlockCopier) and isinstance(ir.Block, type)
