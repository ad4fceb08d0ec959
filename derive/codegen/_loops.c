/* derive.codegen._loops: the two compiled loops of the one-word fast path (derive.kernels).

   One centre word is bound by memory, not arithmetic: its kernel must read U (V×d) once and
   write grad_U (V×d) once. NumPy cannot do either in one pass: the softmax of U v and U's
   softmax-weighted rows take two products over U (blocked, the second from cache, each block a
   dozen calls), and NumPy writes an outer product a row at a time at half a fill's speed. These
   two loops are generic array primitives, not a loss's formula: what to call them with is the
   printer's choice (derive/codegen/softmax.py), from the derived matrix forms, and
   tests/codegen/test_fast_path.py proves the kernels equal to the general printed ones with and
   without this module.

     softmax_rows(U, v, s, acc) -> (m, z)
         s = U v; m = max(s); z = Σ_w exp(s_w − m); acc = Σ_w exp(s_w − m) U[w] (acc may be None)
     outer(c, a, out)
         out[w, :] = c[w] a

   Arrays come as buffers: C-contiguous, all float32 or all float64 (format f or d), sizes that
   agree (else ValueError; the kernels check this first and use NumPy otherwise). The maximum is a
   running one, as in an online softmax: when a chunk of rows raises it, z and acc are rescaled
   once, so U is read once and stays in cache between a row's dot product and its accumulation.
   NaN and inf reach z or acc where NumPy's shifted softmax has them (m may differ: a NaN is not
   kept as the maximum), so the kernels' finiteness check still sees them. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

/* On x86-64 with GCC an AVX2 copy of each loop is chosen at load time where the CPU has it. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* Rows whose maximum is found before their exponentials: a rescale costs d multiplies, once a
   chunk at most. Measured best of 32/64/128 with 1-row dot products and 4-row accumulation. */
#define CHUNK 32

/* u·v with four independent vector sums: one sum would wait on each add's latency. */
#define DOT_FN(T, NAME, L)                                                                    \
    typedef T NAME##_vec __attribute__((vector_size(L * sizeof(T))));                         \
    CLONES static inline T NAME(const T *u, const T *v, Py_ssize_t d)                         \
    {                                                                                         \
        NAME##_vec a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, x, y;                              \
        Py_ssize_t j = 0;                                                                     \
        for (; j + 4 * L <= d; j += 4 * L) {                                                  \
            memcpy(&x, u + j, sizeof x); memcpy(&y, v + j, sizeof y); a0 += x * y;            \
            memcpy(&x, u + j + L, sizeof x); memcpy(&y, v + j + L, sizeof y); a1 += x * y;    \
            memcpy(&x, u + j + 2 * L, sizeof x); memcpy(&y, v + j + 2 * L, sizeof y);         \
            a2 += x * y;                                                                      \
            memcpy(&x, u + j + 3 * L, sizeof x); memcpy(&y, v + j + 3 * L, sizeof y);         \
            a3 += x * y;                                                                      \
        }                                                                                     \
        for (; j + L <= d; j += L) {                                                          \
            memcpy(&x, u + j, sizeof x); memcpy(&y, v + j, sizeof y); a0 += x * y;            \
        }                                                                                     \
        a0 = (a0 + a1) + (a2 + a3);                                                           \
        T t = 0;                                                                              \
        for (int k = 0; k < L; k++) t += a0[k];                                               \
        for (; j < d; j++) t += u[j] * v[j];                                                  \
        return t;                                                                             \
    }
DOT_FN(float, dot_f, 8)
DOT_FN(double, dot_d, 4)

#define SOFTMAX_ROWS(T, NAME, EXP, DOT)                                                            \
    CLONES static void NAME(const T *U, Py_ssize_t V, Py_ssize_t d, const T *v, T *s, T *acc, \
                            double *m_out, double *z_out)                                     \
    {                                                                                         \
        T m = -INFINITY, z = 0, ec[CHUNK];                                                    \
        if (acc) memset(acc, 0, (size_t)d * sizeof(T));                                       \
        for (Py_ssize_t a = 0; a < V; a += CHUNK) {                                           \
            Py_ssize_t b = a + CHUNK < V ? a + CHUNK : V, w;                                  \
            T mc = -INFINITY;                                                                 \
            for (w = a; w < b; w++) {                                                         \
                const T *u = U + w * d;                                                       \
                T t = DOT(u, v, d);                                                           \
                s[w] = t;                                                                     \
                if (!(t <= mc)) mc = t; /* a NaN becomes the maximum, as NumPy's max */       \
            }                                                                                 \
            if (!(mc <= m)) {                                                                 \
                T r = EXP(m - mc);                                                            \
                z *= r;                                                                       \
                if (acc)                                                                      \
                    for (Py_ssize_t j = 0; j < d; j++) acc[j] *= r;                           \
                m = mc;                                                                       \
            }                                                                                 \
            for (w = a; w < b; w++) {                                                         \
                ec[w - a] = EXP(s[w] - m);                                                    \
                z += ec[w - a];                                                               \
            }                                                                                 \
            if (!acc) continue;                                                               \
            /* Four rows a sweep: acc is loaded and stored once for four rows of U. */        \
            for (w = a; w + 4 <= b; w += 4) {                                                 \
                const T *u0 = U + w * d, *u1 = u0 + d, *u2 = u1 + d, *u3 = u2 + d;            \
                T e0 = ec[w - a], e1 = ec[w - a + 1], e2 = ec[w - a + 2], e3 = ec[w - a + 3]; \
                _Pragma("omp simd")                                                           \
                for (Py_ssize_t j = 0; j < d; j++)                                            \
                    acc[j] += (e0 * u0[j] + e1 * u1[j]) + (e2 * u2[j] + e3 * u3[j]);          \
            }                                                                                 \
            for (; w < b; w++) {                                                              \
                const T *u = U + w * d;                                                       \
                T e = ec[w - a];                                                              \
                for (Py_ssize_t j = 0; j < d; j++) acc[j] += e * u[j];                        \
            }                                                                                 \
        }                                                                                     \
        *m_out = m;                                                                           \
        *z_out = z;                                                                           \
    }

SOFTMAX_ROWS(float, softmax_rows_f, expf, dot_f)
SOFTMAX_ROWS(double, softmax_rows_d, exp, dot_d)

#define OUTER(T, NAME)                                                                        \
    CLONES static void NAME(const T *c, Py_ssize_t V, const T *a, Py_ssize_t d, T *out)       \
    {                                                                                         \
        for (Py_ssize_t w = 0; w < V; w++) {                                                  \
            T cw = c[w];                                                                      \
            T *row = out + w * d;                                                             \
            _Pragma("omp simd")                                                               \
            for (Py_ssize_t j = 0; j < d; j++) row[j] = cw * a[j];                            \
        }                                                                                     \
    }

OUTER(float, outer_f)
OUTER(double, outer_d)

/* The float type of a buffer: 'f' or 'd' (with or without '=' / '@' for native order), else 0. */
static char float_kind(const Py_buffer *b)
{
    const char *f = b->format ? b->format : "B";
    if (*f == '=' || *f == '@') f++;
    return (f[0] == 'f' || f[0] == 'd') && f[1] == '\0' ? f[0] : 0;
}

/* Each object as a C-contiguous buffer of one float type, its number of elements in n[i]. */
static int get_buffers(PyObject **objs, Py_buffer *bufs, Py_ssize_t *n, int count, int *writable,
                       char *kind)
{
    for (int i = 0; i < count; i++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable[i] ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objs[i], &bufs[i], flags) < 0) {
            for (int k = 0; k < i; k++) PyBuffer_Release(&bufs[k]);
            return -1;
        }
        char k = float_kind(&bufs[i]);
        if (!k || (i && k != *kind)) {
            for (int j = 0; j <= i; j++) PyBuffer_Release(&bufs[j]);
            PyErr_SetString(PyExc_ValueError,
                            "_loops takes C-contiguous arrays, all float32 or all float64");
            return -1;
        }
        *kind = k;
        n[i] = bufs[i].len / bufs[i].itemsize;
    }
    return 0;
}

static void release(Py_buffer *bufs, int count)
{
    for (int i = 0; i < count; i++) PyBuffer_Release(&bufs[i]);
}

static PyObject *py_softmax_rows(PyObject *self, PyObject *args)
{
    PyObject *objs[4];
    if (!PyArg_ParseTuple(args, "OOOO:softmax_rows", &objs[0], &objs[1], &objs[2], &objs[3]))
        return NULL;
    int with_acc = objs[3] != Py_None, writable[4] = {0, 0, 1, 1};
    Py_buffer bufs[4];
    Py_ssize_t n[4];
    char kind = 0;
    if (get_buffers(objs, bufs, n, 3 + with_acc, writable, &kind) < 0) return NULL;
    Py_ssize_t V = n[2], d = n[1];
    if (d == 0 || V == 0 || n[0] != V * d || (with_acc && n[3] != d)) {
        release(bufs, 3 + with_acc);
        PyErr_SetString(PyExc_ValueError,
                        "softmax_rows: U must hold len(s) rows of len(v) entries, acc len(v)");
        return NULL;
    }
    double m, z;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 'd')
        softmax_rows_d(bufs[0].buf, V, d, bufs[1].buf, bufs[2].buf,
                       with_acc ? bufs[3].buf : NULL, &m, &z);
    else
        softmax_rows_f(bufs[0].buf, V, d, bufs[1].buf, bufs[2].buf,
                       with_acc ? bufs[3].buf : NULL, &m, &z);
    Py_END_ALLOW_THREADS
    release(bufs, 3 + with_acc);
    return Py_BuildValue("dd", m, z);
}

static PyObject *py_outer(PyObject *self, PyObject *args)
{
    PyObject *objs[3];
    if (!PyArg_ParseTuple(args, "OOO:outer", &objs[0], &objs[1], &objs[2])) return NULL;
    int writable[3] = {0, 0, 1};
    Py_buffer bufs[3];
    Py_ssize_t n[3];
    char kind = 0;
    if (get_buffers(objs, bufs, n, 3, writable, &kind) < 0) return NULL;
    if (n[2] != n[0] * n[1]) {
        release(bufs, 3);
        PyErr_SetString(PyExc_ValueError, "outer: out must hold len(c) rows of len(a) entries");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    if (kind == 'd')
        outer_d(bufs[0].buf, n[0], bufs[1].buf, n[1], bufs[2].buf);
    else
        outer_f(bufs[0].buf, n[0], bufs[1].buf, n[1], bufs[2].buf);
    Py_END_ALLOW_THREADS
    release(bufs, 3);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"softmax_rows", py_softmax_rows, METH_VARARGS,
     "softmax_rows(U, v, s, acc) -> (m, z): s = U v, m = max(s), z = sum(exp(s - m)), "
     "acc = exp(s - m) @ U (acc may be None)."},
    {"outer", py_outer, METH_VARARGS, "outer(c, a, out): out[w, :] = c[w] * a."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_loops",
                                    "The compiled loops of derive's one-word kernels.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__loops(void) { return PyModule_Create(&module); }
