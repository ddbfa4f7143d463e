/*
 * Compiled inner loops of the fast scoring path (training/fast.py).
 *
 * Two functions, both adding one feature block's share of the linear scores
 * into `out` (the caller adds the intercepts and the sigmoid):
 *
 *   word_scores(text, tokens, spans, tables, flags, block, out)
 *       the word block of BioAnalyzer, column for column what
 *       fast._WordColumns.counts computes in Python; returns False, adding
 *       nothing, when the tokens do not add up to the text (the caller then
 *       takes the Python path, which finds each token by search);
 *   column_scores(columns, block, out)
 *       any block whose columns (with repeats) the caller already has.
 *
 * `block` is (idf or None, coef, sublinear, binary, norm, weight): the
 * TfidfVectorizer's arithmetic (tf, sublinear tf, idf, l1/l2 norm), the
 * FeatureUnion weight, then the product with the block's rows of the
 * coefficient matrix (n_block_features x n_outputs, C order, float64).
 *
 * The Python path stays the reference: tests compare this one with it and with
 * scikit-learn's predict_proba (to 1e-9).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Py_ssize_t *data;
    Py_ssize_t len;
    Py_ssize_t cap;
    Py_ssize_t local[512];
} Columns;

static void columns_init(Columns *c) {
    c->data = c->local;
    c->len = 0;
    c->cap = (Py_ssize_t)(sizeof(c->local) / sizeof(c->local[0]));
}

static void columns_free(Columns *c) {
    if (c->data != c->local) {
        PyMem_Free(c->data);
    }
}

static int columns_push(Columns *c, Py_ssize_t value) {
    if (c->len == c->cap) {
        Py_ssize_t cap = c->cap * 2;
        Py_ssize_t *data = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(data, c->data, (size_t)c->len * sizeof(Py_ssize_t));
        columns_free(c);
        c->data = data;
        c->cap = cap;
    }
    c->data[c->len++] = value;
    return 0;
}

/* Append table[key] when the key is in the vocabulary; 0 on success, -1 on error. */
static int push_lookup(Columns *out, PyObject *table, PyObject *key) {
    PyObject *value = PyDict_GetItemWithError(table, key);
    if (value == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_ssize_t column = PyLong_AsSsize_t(value);
    if (column == -1 && PyErr_Occurred()) {
        return -1;
    }
    return columns_push(out, column);
}

/* Append table[first][second] (a bigram) when both levels are in the vocabulary. */
static int push_pair(Columns *out, PyObject *table, PyObject *first, PyObject *second) {
    PyObject *inner = PyDict_GetItemWithError(table, first);
    if (inner == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyDict_Check(inner)) {
        PyErr_SetString(PyExc_TypeError, "bigram table values must be dicts");
        return -1;
    }
    return push_lookup(out, inner, second);
}

static int push_words(Columns *out, PyObject *table, PyObject **words, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        if (push_lookup(out, table, words[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

static int push_pairs(Columns *out, PyObject *table, PyObject **words, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        if (push_pair(out, table, words[i], words[i + 1]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* First index i in a[lo:n] with a[i] >= x (Python's bisect_left). */
static Py_ssize_t bisect_left(const Py_ssize_t *a, Py_ssize_t n, Py_ssize_t x, Py_ssize_t lo) {
    Py_ssize_t hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int compare_columns(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    Py_buffer idf;
    Py_buffer coef;
    Py_buffer out;
    int has_idf;
    int sublinear;
    int binary;
    int norm; /* 0 none, 1 l1, 2 l2 */
    double weight;
    Py_ssize_t rows;
    Py_ssize_t outputs;
} Block;

static void block_release(Block *block) {
    if (block->has_idf) {
        PyBuffer_Release(&block->idf);
    }
    if (block->coef.obj != NULL) {
        PyBuffer_Release(&block->coef);
    }
    if (block->out.obj != NULL) {
        PyBuffer_Release(&block->out);
    }
}

static int is_float64(const Py_buffer *view) {
    return view->itemsize == (Py_ssize_t)sizeof(double) && view->format != NULL && strcmp(view->format, "d") == 0;
}

/* Read (idf or None, coef, sublinear, binary, norm, weight) and the output array. */
static int block_open(Block *block, PyObject *spec, PyObject *out) {
    memset(block, 0, sizeof(*block));
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 6) {
        PyErr_SetString(PyExc_TypeError, "block must be (idf, coef, sublinear, binary, norm, weight)");
        return -1;
    }
    PyObject *idf = PyTuple_GET_ITEM(spec, 0);
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(spec, 1), &block->coef, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return -1;
    }
    if (block->coef.ndim != 2 || !is_float64(&block->coef)) {
        PyErr_SetString(PyExc_TypeError, "coef must be a 2-d C-contiguous float64 array");
        goto fail;
    }
    block->rows = block->coef.shape[0];
    block->outputs = block->coef.shape[1];
    if (idf != Py_None) {
        if (PyObject_GetBuffer(idf, &block->idf, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            goto fail;
        }
        block->has_idf = 1;
        if (block->idf.ndim != 1 || !is_float64(&block->idf) || block->idf.shape[0] != block->rows) {
            PyErr_SetString(PyExc_TypeError, "idf must be a float64 array with one value per coef row");
            goto fail;
        }
    }
    block->sublinear = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 2));
    block->binary = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 3));
    long norm = PyLong_AsLong(PyTuple_GET_ITEM(spec, 4));
    block->weight = PyFloat_AsDouble(PyTuple_GET_ITEM(spec, 5));
    if (block->sublinear < 0 || block->binary < 0 || PyErr_Occurred()) {
        goto fail;
    }
    if (norm < 0 || norm > 2) {
        PyErr_SetString(PyExc_ValueError, "norm must be 0 (none), 1 (l1) or 2 (l2)");
        goto fail;
    }
    block->norm = (int)norm;
    if (PyObject_GetBuffer(out, &block->out, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        goto fail;
    }
    if (block->out.ndim != 1 || !is_float64(&block->out) || block->out.shape[0] != block->outputs) {
        PyErr_SetString(PyExc_TypeError, "out must be a writable float64 array with one value per output");
        goto fail;
    }
    return 0;
fail:
    block_release(block);
    return -1;
}

/* tf(-idf) of the counted columns, normed and weighted, times the coefficients, added to out. */
static int block_add(Block *block, Columns *columns) {
    Py_ssize_t n = columns->len;
    if (n == 0) {
        return 0;
    }
    Py_ssize_t *cols = columns->data;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (cols[i] < 0 || cols[i] >= block->rows) {
            PyErr_Format(PyExc_IndexError, "column %zd outside the block's %zd rows", cols[i], block->rows);
            return -1;
        }
    }
    qsort(cols, (size_t)n, sizeof(Py_ssize_t), compare_columns);
    /* Unique columns and their values, in place: cols[0:unique], values[0:unique]. */
    double *values = PyMem_Malloc((size_t)n * sizeof(double));
    if (values == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    const double *idf = block->has_idf ? (const double *)block->idf.buf : NULL;
    Py_ssize_t unique = 0;
    double length = 0.0;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t j = i;
        while (j < n && cols[j] == cols[i]) {
            j++;
        }
        double tf = block->binary ? 1.0 : (double)(j - i);
        if (block->sublinear && !block->binary) {
            tf = log(tf) + 1.0;
        }
        if (idf != NULL) {
            tf *= idf[cols[i]];
        }
        cols[unique] = cols[i];
        values[unique] = tf;
        length += block->norm == 2 ? tf * tf : fabs(tf);
        unique++;
        i = j;
    }
    double scale = block->weight;
    if (block->norm == 2) {
        length = sqrt(length);
    }
    if (block->norm != 0 && length != 0.0) {
        scale = scale / length;
    }
    const double *coef = (const double *)block->coef.buf;
    double *out = (double *)block->out.buf;
    Py_ssize_t outputs = block->outputs;
    for (Py_ssize_t i = 0; i < unique; i++) {
        double value = scale != 1.0 ? values[i] * scale : values[i];
        const double *row = coef + cols[i] * outputs;
        for (Py_ssize_t k = 0; k < outputs; k++) {
            out[k] += value * row[k];
        }
    }
    PyMem_Free(values);
    return 0;
}

enum { FIRST_CLAUSE = 1, BIGRAMS = 2, EXCLUSIVE = 4, TENSE_MARKS = 8 };

/* The tables argument: (w, b, p, pb, c, f, punctuation, past_prefixes). */
typedef struct {
    PyObject *w, *b, *p, *pb, *c, *f, *punctuation, *past_prefixes;
} Tables;

static int tables_read(Tables *t, PyObject *tables) {
    if (!PyTuple_Check(tables) || PyTuple_GET_SIZE(tables) != 8) {
        PyErr_SetString(PyExc_TypeError, "tables must be (w, b, p, pb, c, f, punctuation, past_prefixes)");
        return -1;
    }
    PyObject **items[] = {&t->w, &t->b, &t->p, &t->pb, &t->c, &t->f};
    for (int i = 0; i < 6; i++) {
        *items[i] = PyTuple_GET_ITEM(tables, i);
        if (!PyDict_Check(*items[i])) {
            PyErr_SetString(PyExc_TypeError, "the first six tables must be dicts");
            return -1;
        }
    }
    t->punctuation = PyTuple_GET_ITEM(tables, 6);
    t->past_prefixes = PyTuple_GET_ITEM(tables, 7);
    if (!PyAnySet_Check(t->punctuation) || !PyAnySet_Check(t->past_prefixes)) {
        PyErr_SetString(PyExc_TypeError, "punctuation and past_prefixes must be sets");
        return -1;
    }
    return 0;
}

/* Columns of one clause's words (punctuation already removed), as _WordColumns.counts. */
static int clause_columns(Columns *out, const Tables *t, PyObject **words, Py_ssize_t n, int past, int current,
                          long flags) {
    int bigrams = (flags & BIGRAMS) != 0;
    if (past && (flags & EXCLUSIVE)) {
        if (push_words(out, t->p, words, n) < 0 || (bigrams && push_pairs(out, t->pb, words, n) < 0)) {
            return -1;
        }
        return 0;
    }
    if (push_words(out, t->w, words, n) < 0 || (bigrams && push_pairs(out, t->b, words, n) < 0)) {
        return -1;
    }
    if (!(flags & TENSE_MARKS)) {
        return 0;
    }
    if (past) {
        return push_words(out, t->p, words, n);
    }
    int after_past_prefix = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (after_past_prefix) {
            if (push_lookup(out, t->p, words[i]) < 0) {
                return -1;
            }
        } else if (current) {
            if (push_lookup(out, t->c, words[i]) < 0) {
                return -1;
            }
        }
        int is_prefix = PySet_Contains(t->past_prefixes, words[i]);
        if (is_prefix < 0) {
            return -1;
        }
        after_past_prefix = is_prefix;
    }
    return 0;
}

static int span_tense(PyObject *tense, int *past, int *current) {
    if (!PyUnicode_Check(tense)) {
        PyErr_SetString(PyExc_TypeError, "a span's tense must be a str");
        return -1;
    }
    *past = PyUnicode_CompareWithASCIIString(tense, "past") == 0;
    *current = PyUnicode_CompareWithASCIIString(tense, "current") == 0;
    return 0;
}

/* All word-block columns of a text, with repeats; 1 done, 0 tokens do not add up, -1 error. */
static int word_columns(Columns *out, PyObject *text, PyObject *tokens, PyObject *spans, const Tables *t,
                        long flags) {
    Py_ssize_t text_length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t n_tokens = PyList_GET_SIZE(tokens);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    int status = -1;
    Py_ssize_t *spaces = NULL, *starts = NULL;
    PyObject **words = NULL;
    Py_ssize_t n_spaces = 0;

    spaces = PyMem_Malloc((size_t)(text_length + 1) * sizeof(Py_ssize_t));
    starts = PyMem_Malloc((size_t)(n_tokens + 1) * sizeof(Py_ssize_t));
    words = PyMem_Malloc((size_t)(n_tokens + 1) * sizeof(PyObject *));
    if (spaces == NULL || starts == NULL || words == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < text_length; i++) {
        if (PyUnicode_READ(kind, data, i) == ' ') {
            spaces[n_spaces++] = i;
        }
    }
    /* Where each token starts in the text without its spaces (MeCab drops them). */
    starts[0] = 0;
    for (Py_ssize_t i = 0; i < n_tokens; i++) {
        PyObject *token = PyList_GET_ITEM(tokens, i);
        if (!PyUnicode_Check(token)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be str");
            goto done;
        }
        starts[i + 1] = starts[i] + PyUnicode_GET_LENGTH(token);
    }
    if (starts[n_tokens] != text_length - n_spaces) {
        status = 0;
        goto done;
    }
    int first = (flags & FIRST_CLAUSE) != 0;
    Py_ssize_t n_spans = PySequence_Fast_GET_SIZE(spans);
    PyObject **span_items = PySequence_Fast_ITEMS(spans);
    for (Py_ssize_t s = 0; s < n_spans; s++) {
        PyObject *span = span_items[s];
        if (!PyTuple_Check(span) || PyTuple_GET_SIZE(span) != 3) {
            PyErr_SetString(PyExc_TypeError, "spans must be (start, end, tense) tuples");
            goto done;
        }
        Py_ssize_t start = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0));
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1));
        int past, current;
        if ((start == -1 || end == -1) && PyErr_Occurred()) {
            goto done;
        }
        if (span_tense(PyTuple_GET_ITEM(span, 2), &past, &current) < 0) {
            goto done;
        }
        Py_ssize_t low = bisect_left(starts, n_tokens + 1, start - bisect_left(spaces, n_spaces, start, 0), 0);
        Py_ssize_t high = bisect_left(starts, n_tokens + 1, end - bisect_left(spaces, n_spaces, end, 0), low);
        if (high > n_tokens) {
            high = n_tokens;
        }
        Py_ssize_t n_words = 0;
        for (Py_ssize_t i = low; i < high; i++) {
            PyObject *token = PyList_GET_ITEM(tokens, i);
            int punctuation = PySet_Contains(t->punctuation, token);
            if (punctuation < 0) {
                goto done;
            }
            if (!punctuation) {
                words[n_words++] = token;
            }
        }
        if (first) {
            /* The first clause is the first span, even when it has no words. */
            if (push_words(out, t->f, words, n_words) < 0) {
                goto done;
            }
            first = 0;
        }
        if (n_words == 0) {
            continue;
        }
        if (clause_columns(out, t, words, n_words, past, current, flags) < 0) {
            goto done;
        }
    }
    status = 1;
done:
    PyMem_Free(spaces);
    PyMem_Free(starts);
    PyMem_Free(words);
    return status;
}

static PyObject *word_scores(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "word_scores(text, tokens, spans, tables, flags, block, out)");
        return NULL;
    }
    PyObject *text = args[0], *tokens = args[1], *spans = args[2];
    if (!PyUnicode_Check(text) || !PyList_Check(tokens)) {
        PyErr_SetString(PyExc_TypeError, "text must be a str and tokens a list of str");
        return NULL;
    }
    long flags = PyLong_AsLong(args[4]);
    if (flags == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Tables tables;
    if (tables_read(&tables, args[3]) < 0) {
        return NULL;
    }
    PyObject *span_sequence = PySequence_Fast(spans, "spans must be a sequence");
    if (span_sequence == NULL) {
        return NULL;
    }
    Block block;
    if (block_open(&block, args[5], args[6]) < 0) {
        Py_DECREF(span_sequence);
        return NULL;
    }
    Columns columns;
    columns_init(&columns);
    int status = word_columns(&columns, text, tokens, span_sequence, &tables, flags);
    if (status == 1 && block_add(&block, &columns) < 0) {
        status = -1;
    }
    columns_free(&columns);
    block_release(&block);
    Py_DECREF(span_sequence);
    if (status < 0) {
        return NULL;
    }
    return PyBool_FromLong(status);
}

static PyObject *column_scores(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "column_scores(columns, block, out)");
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(args[0], "columns must be a sequence of ints");
    if (sequence == NULL) {
        return NULL;
    }
    Block block;
    if (block_open(&block, args[1], args[2]) < 0) {
        Py_DECREF(sequence);
        return NULL;
    }
    Columns columns;
    columns_init(&columns);
    int status = 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(sequence);
    PyObject **items = PySequence_Fast_ITEMS(sequence);
    for (Py_ssize_t i = 0; i < n && status == 0; i++) {
        Py_ssize_t column = PyLong_AsSsize_t(items[i]);
        if (column == -1 && PyErr_Occurred()) {
            status = -1;
        } else {
            status = columns_push(&columns, column);
        }
    }
    if (status == 0) {
        status = block_add(&block, &columns);
    }
    columns_free(&columns);
    block_release(&block);
    Py_DECREF(sequence);
    if (status < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"word_scores", (PyCFunction)(void (*)(void))word_scores, METH_FASTCALL,
     "Add the word block's scores of one normalised text to out; False when the tokens do not add up."},
    {"column_scores", (PyCFunction)(void (*)(void))column_scores, METH_FASTCALL,
     "Add the scores of one block's counted columns (with repeats) to out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastscore", "Compiled inner loops of training.fast.", -1, methods,
};

PyMODINIT_FUNC PyInit__fastscore(void) {
    return PyModule_Create(&module);
}
