# The checked entry points of the generated kernels. This file is NumPy-only: it is appended to the
# generated kernel source, both in the cache that `derive.kernels` loads and in `derive export`.
# It validates input; it holds no gradient formula (those are generated above it).
import numbers

import numpy as np

_FLOATS = (np.float32, np.float64)

try:  # the one-word kernels' compiled loops, where derive was built with them
    from derive.codegen import _loops
except ImportError:  # no compiler at install, or this module copied out of derive: NumPy alone
    _loops = None  # type: ignore[assignment]

_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


def _compiled(x):
    """Whether derive's compiled loops (derive/codegen/_loops.c) take x: C-contiguous, native
    float32 or float64. Otherwise the one-word kernels run their blocked NumPy loop."""
    return _loops is not None and x.flags.c_contiguous and x.dtype in _NATIVE


def _outer_into(c, a, out):
    """out[w, :] = c[w] a: by the compiled loop where it takes the arrays (at a fill's speed), else
    by einsum, which writes a row at a time (about half that) but takes any strides."""
    if _compiled(out) and c.dtype == a.dtype == out.dtype and c.flags.c_contiguous \
            and a.flags.c_contiguous:
        _loops.outer(c, a, out)
    else:
        np.einsum('i,j->ij', c, a, out=out)


def _array(name, x, ndim, what):
    x = np.asarray(x)
    if x.dtype.type not in _FLOATS:
        raise ValueError(f"{name} must be a float32 or float64 array {what}; got dtype {x.dtype}")
    if x.ndim != ndim or 0 in x.shape:
        raise ValueError(f"{name} must be a non-empty array {what}; got shape {x.shape}")
    return x


def _index(o, V):
    if isinstance(o, (bool, np.bool_)) or not isinstance(o, numbers.Integral):
        raise ValueError(f"o must be an int index into the {V} rows of U; got {o!r}")
    if not 0 <= o < V:
        raise ValueError(f"o must be in range(0, {V}) (the rows of U); got {o}")
    return int(o)


def _indices(o, B, V):
    o = np.asarray(o)
    if o.dtype.kind not in "iu" or o.shape != (B,):
        raise ValueError(f"o must be an integer array of shape ({B},), one index per row of V_c; "
                         f"got dtype {o.dtype}, shape {o.shape}")
    if B and (o.min() < 0 or o.max() >= V):
        bad = int(o[(o < 0) | (o >= V)][0])
        raise ValueError(f"o must hold indices in range(0, {V}) (the rows of U); got {bad}")
    return o


def _common(V_c, U):
    if V_c.shape[-1] != U.shape[1]:
        raise ValueError(f"v_c has {V_c.shape[-1]} entries but the rows of U have {U.shape[1]}: "
                         f"U must have shape (V, d) with d = {V_c.shape[-1]}")
    dtype = np.result_type(V_c, U)
    return V_c.astype(dtype, copy=False), U.astype(dtype, copy=False)


def _out(out, shapes, dtype):
    """The caller's gradient buffers (None where not given), checked like NumPy's `out=`."""
    if out is None:
        return [None] * len(shapes)
    if not isinstance(out, tuple) or len(out) != len(shapes):
        raise ValueError(f"out must be a tuple of {len(shapes)} arrays or None (grad_v_c, grad_U); "
                         f"got {type(out).__name__}")
    for buf, shape, name in zip(out, shapes, ("grad_v_c", "grad_U"), strict=True):
        if buf is None:
            continue
        if not isinstance(buf, np.ndarray) or buf.shape != shape or buf.dtype != dtype \
                or not buf.flags.c_contiguous or not buf.flags.writeable:
            got = (f"shape {buf.shape}, dtype {buf.dtype}" if isinstance(buf, np.ndarray)
                   else repr(buf))
            raise ValueError(f"out buffer for {name} must be a writeable C-contiguous {dtype} "
                             f"array of shape {shape}; got {got}")
    return list(out)


def _quiet(kernel, *args, check_finite, out_U):
    # With the check on, a non-finite input ends in one clear ValueError, not NumPy warnings first.
    if not check_finite:
        return kernel(*args, check_finite=False, out_U=out_U)
    with np.errstate(invalid="ignore", over="ignore"):
        return kernel(*args, check_finite=True, out_U=out_U)


def naive_softmax(v_c, o, U, *, check_finite=True, out=None):
    """Naive-softmax loss and gradients for one centre word.

    v_c: (d,) centre vector; o: int outside-word index; U: (V, d) outside vectors as rows (the
    handout's U transposed). Returns (loss, grad_v_c (d,), grad_U (V, d)) in the inputs' dtype.
    `out=(grad_v_c, grad_U)` gives buffers to write the gradients into (either may be None),
    saving an allocation of U's size on every call.
    """
    v_c = _array("v_c", v_c, 1, "of shape (d,)")
    U = _array("U", U, 2, "of shape (V, d)")
    v_c, U = _common(v_c, U)
    o = _index(o, U.shape[0])
    out_v, out_U = _out(out, (v_c.shape, U.shape), U.dtype)
    losses, grad_v, grad_U = _quiet(_naive_softmax_kernel, v_c[None, :], np.array([o]), U,
                                    check_finite=check_finite, out_U=out_U)
    if out_v is not None:
        out_v[...] = grad_v[0]
        return losses[0], out_v, grad_U
    return losses[0], grad_v[0], grad_U


def naive_softmax_batch(V_c, o, U, *, check_finite=True, out=None):
    """Naive-softmax for B centre words at once.

    V_c: (B, d) centre vectors as rows; o: (B,) integer outside-word indices; U: (V, d).
    Returns (loss summed over the batch, grad_V_c (B, d), grad_U (V, d)); `out` as for
    naive_softmax.
    """
    V_c = _array("V_c", V_c, 2, "of shape (B, d)")
    U = _array("U", U, 2, "of shape (V, d)")
    V_c, U = _common(V_c, U)
    o = _indices(o, V_c.shape[0], U.shape[0])
    out_V, out_U = _out(out, (V_c.shape, U.shape), U.dtype)
    losses, grad_V, grad_U = _quiet(_naive_softmax_kernel, V_c, o, U,
                                    check_finite=check_finite, out_U=out_U)
    if out_V is not None:
        out_V[...] = grad_V
        grad_V = out_V
    return losses.sum(dtype=V_c.dtype), grad_V, grad_U


def _sample_indices(negatives, B, V, what):
    neg = np.asarray(negatives)
    if neg.dtype.kind not in "iu" or neg.ndim != len(B) + 1 or neg.shape[:-1] != B \
            or neg.size == 0:
        raise ValueError(f"negatives must be a non-empty {len(B) + 1}-D integer array of shape "
                         f"{what}, indices into the rows of U; got dtype {neg.dtype}, "
                         f"shape {neg.shape}")
    if neg.min() < 0 or neg.max() >= V:
        bad = int(neg[(neg < 0) | (neg >= V)][0])
        raise ValueError(f"negatives must hold indices in range(0, {V}) (the rows of U); got {bad}")
    return neg


def _neg_sampling_rows(V_c, o, U, neg, check_finite):
    """Per-sample losses (B,), grad_V_c (B, d) and grad_U (V, d) for B centre words.

    The derived kernel takes each sample's u_o and d×K matrix U_neg of its samples' vectors;
    grad_U gathers their gradients back into rows: a word sampled twice (or also o) gets every one
    of its columns' gradients added, the adjoint of the gather U[negatives].
    """
    with np.errstate(invalid="ignore" if check_finite else "warn"):  # NaN is reported below
        losses, grad_v, grad_uo, grad_neg = _neg_sampling_kernel(
            V_c[:, :, None], U[o][:, :, None], np.swapaxes(U[neg], 1, 2))
    if check_finite and not (np.isfinite(losses).all() and np.isfinite(grad_v).all()):
        raise ValueError("u_oᵀv_c or U_negᵀv_c is not finite: v_c or a used row of U holds "
                         "NaN or inf")
    # Each sample's K + 1 used rows (u_o, then U_neg's columns) and their gradients, as rows.
    used = np.concatenate([o[:, None], neg], axis=1)
    grads = np.concatenate([grad_uo, grad_neg], axis=2).swapaxes(1, 2)
    return losses, grad_v[:, :, 0], _scatter_rows(U.shape, U.dtype, used, grads)


def _scatter_rows(shape, dtype, index, rows):
    """The (V, d) array G with G[index[b, k]] += rows[b, k] for every b, k, repeats adding up.

    np.add.at on the flat view: its 1-D fast path is 1.1–5× quicker than adding whole rows."""
    V, d = shape
    G = np.zeros(V * d, dtype)  # C order, so the reshape below is a view of what was added to
    flat = (index.astype(np.intp).reshape(-1, 1) * d + np.arange(d)).ravel()
    np.add.at(G, flat, rows.reshape(-1))
    return G.reshape(V, d)


def neg_sampling(v_c, o, U, negatives, *, check_finite=True):
    """Negative-sampling loss and gradients for one centre word.

    v_c: (d,); o: int outside-word index; U: (V, d) outside vectors as rows; negatives: (K,)
    integer indices of the sampled words, repeats allowed (each occurrence counts). Returns
    (loss, grad_v_c (d,), grad_U (V, d)).
    """
    v_c = _array("v_c", v_c, 1, "of shape (d,)")
    U = _array("U", U, 2, "of shape (V, d)")
    v_c, U = _common(v_c, U)
    o = _index(o, U.shape[0])
    neg = _sample_indices(negatives, (), U.shape[0], "(K,)")
    losses, grad_v, grad_U = _neg_sampling_rows(v_c[None, :], np.array([o]), U, neg[None, :],
                                                check_finite)
    return losses[0].astype(U.dtype), grad_v[0], grad_U


def neg_sampling_batch(V_c, o, U, negatives, *, check_finite=True):
    """Negative sampling for B centre words at once.

    V_c: (B, d) centre vectors as rows; o: (B,) integer outside-word indices; U: (V, d);
    negatives: (B, K) sample indices, one row per centre word, repeats allowed. Returns (loss
    summed over the batch, grad_V_c (B, d), grad_U (V, d)); grad_U sums every sample's rows.
    """
    V_c = _array("V_c", V_c, 2, "of shape (B, d)")
    U = _array("U", U, 2, "of shape (V, d)")
    V_c, U = _common(V_c, U)
    o = _indices(o, V_c.shape[0], U.shape[0])
    neg = _sample_indices(negatives, V_c.shape[:1], U.shape[0], f"({V_c.shape[0]}, K)")
    losses, grad_V, grad_U = _neg_sampling_rows(V_c, o, U, neg, check_finite)
    return losses.sum(dtype=U.dtype), grad_V, grad_U


def skipgram(v_c, outside, U, *, negatives=None, check_finite=True):
    """Skip-gram over one window: J = Σ_j J(v_c, outside[j], U), with naive softmax, or with
    negative sampling when `negatives` gives one row of K sample indices per outside word.

    v_c: (d,); outside: (m,) integer outside-word indices; U: (V, d). Returns (loss, grad_v_c (d,),
    grad_U (V, d)): each the sum over the window, the derivative of a sum being the sum of the
    derivatives. (∂J/∂v_w for any other centre word w is 0.)
    """
    v_c = _array("v_c", v_c, 1, "of shape (d,)")
    U = _array("U", U, 2, "of shape (V, d)")
    outside = np.asarray(outside)
    if outside.ndim != 1 or outside.size == 0:
        raise ValueError(f"outside must be a non-empty 1-D array of word indices; "
                         f"got shape {outside.shape}")
    # One batch of m copies of v_c: grad_V_c's rows are the m window terms of grad_v_c.
    V_c = np.broadcast_to(v_c, (outside.size, v_c.size))
    if negatives is None:
        loss, grad_V, grad_U = naive_softmax_batch(V_c, outside, U, check_finite=check_finite)
        return loss, grad_V.sum(axis=0), grad_U
    negatives = np.asarray(negatives)
    if negatives.ndim != 2 or negatives.shape[0] != outside.size:
        raise ValueError(f"negatives must have one row of sample indices per outside word, shape "
                         f"({outside.size}, K); got shape {negatives.shape}")
    loss, grad_V, grad_U = neg_sampling_batch(V_c, outside, U, negatives,
                                              check_finite=check_finite)
    return loss, grad_V.sum(axis=0), grad_U
