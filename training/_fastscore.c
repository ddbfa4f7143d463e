/*
 * Compiled inner loops of the fast scoring path (training/fast.py).
 *
 * Two scoring functions, both adding one feature block's share of the linear
 * scores into `out` (the caller adds the intercepts and the sigmoid), and the
 * table builder the first one needs:
 *
 *   word_scores(text, tokens, spans, tables, flags, block, out)
 *       the word block of BioAnalyzer (its vocabulary compiled once by
 *       word_tables: one dict look-up per token, then arrays and a hash
 *       table of word-id pairs), column for column what
 *       fast._WordColumns.counts computes in Python; returns False, adding
 *       nothing, when the tokens do not add up to the text (the caller then
 *       takes the Python path, which finds each token by search);
 *   column_scores(columns, block, out)
 *       any block whose columns (with repeats) the caller already has.
 *
 * `block` is (rows, sublinear, binary, norm, weight): the TfidfVectorizer's
 * arithmetic (tf, sublinear tf, idf, l1/l2 norm), the FeatureUnion weight,
 * then the product with the coefficients. `rows` holds one row per feature
 * of the block (C order, float64): its idf (1.0 when the block has none),
 * then its coefficient for each output.
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
        Py_ssize_t *data = PyMem_New(Py_ssize_t, cap);
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

typedef struct {
    Py_buffer rows;
    Py_buffer out;
    int sublinear;
    int binary;
    int norm; /* 0 none, 1 l1, 2 l2 */
    double weight;
    Py_ssize_t n_rows;
    Py_ssize_t width; /* 1 + outputs */
} Block;

static void block_release(Block *block) {
    if (block->rows.obj != NULL) {
        PyBuffer_Release(&block->rows);
    }
    if (block->out.obj != NULL) {
        PyBuffer_Release(&block->out);
    }
}

static int is_float64(const Py_buffer *view) {
    return view->itemsize == (Py_ssize_t)sizeof(double) && view->format != NULL && strcmp(view->format, "d") == 0;
}

/* Read (rows, sublinear, binary, norm, weight) and the output array. */
static int block_open(Block *block, PyObject *spec, PyObject *out) {
    memset(block, 0, sizeof(*block));
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 5) {
        PyErr_SetString(PyExc_TypeError, "block must be (rows, sublinear, binary, norm, weight)");
        return -1;
    }
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(spec, 0), &block->rows, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return -1;
    }
    if (block->rows.ndim != 2 || !is_float64(&block->rows) || block->rows.shape[1] < 2) {
        PyErr_SetString(PyExc_TypeError, "rows must be a 2-d C-contiguous float64 array: idf, then coefficients");
        goto fail;
    }
    block->n_rows = block->rows.shape[0];
    block->width = block->rows.shape[1];
    long norm = 0;
    if ((block->sublinear = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 1))) < 0
            || (block->binary = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 2))) < 0
            || ((norm = PyLong_AsLong(PyTuple_GET_ITEM(spec, 3))) == -1 && PyErr_Occurred())
            || ((block->weight = PyFloat_AsDouble(PyTuple_GET_ITEM(spec, 4))) == -1.0 && PyErr_Occurred())) {
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
    if (block->out.ndim != 1 || !is_float64(&block->out) || block->out.shape[0] != block->width - 1) {
        PyErr_SetString(PyExc_TypeError, "out must be a writable float64 array with one value per output");
        goto fail;
    }
    return 0;
fail:
    block_release(block);
    return -1;
}

/* Count the columns (with repeats) into unique columns and counts, by open addressing;
 * cols and counts must hold columns->len entries. Returns the number of unique columns. */
static Py_ssize_t count_columns(const Columns *columns, Py_ssize_t *cols, Py_ssize_t *counts) {
    Py_ssize_t slots_local[2048];
    Py_ssize_t size = 16;
    while (size < 2 * columns->len) {
        size *= 2;
    }
    Py_ssize_t *slots = size <= 2048 ? slots_local : PyMem_New(Py_ssize_t, size);
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        slots[i] = -1; /* index into cols */
    }
    Py_ssize_t unique = 0;
    for (Py_ssize_t i = 0; i < columns->len; i++) {
        Py_ssize_t column = columns->data[i];
        size_t slot = ((size_t)column * 0x9E3779B97F4A7C15ull) & (size_t)(size - 1);
        while (slots[slot] >= 0 && cols[slots[slot]] != column) {
            slot = (slot + 1) & (size_t)(size - 1);
        }
        if (slots[slot] < 0) {
            slots[slot] = unique;
            cols[unique] = column;
            counts[unique] = 0;
            unique++;
        }
        counts[slots[slot]]++;
    }
    if (slots != slots_local) {
        PyMem_Free(slots);
    }
    return unique;
}

/* tf(-idf) of the counted columns, normed and weighted, times the coefficients, added to out. */
static int block_add(Block *block, Columns *columns) {
    Py_ssize_t n = columns->len;
    if (n == 0) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (columns->data[i] < 0 || columns->data[i] >= block->n_rows) {
            PyErr_Format(PyExc_IndexError, "column %zd outside the block's %zd rows", columns->data[i], block->n_rows);
            return -1;
        }
    }
    Py_ssize_t cols_local[512], counts_local[512];
    double values_local[512];
    int local = n <= 512;
    Py_ssize_t *cols = local ? cols_local : PyMem_New(Py_ssize_t, n);
    Py_ssize_t *counts = local ? counts_local : PyMem_New(Py_ssize_t, n);
    double *values = local ? values_local : PyMem_New(double, n);
    int status = -1;
    if (cols == NULL || counts == NULL || values == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t unique = count_columns(columns, cols, counts);
    if (unique < 0) {
        goto done;
    }
    /* One row per column: its idf (1.0 without idf weighting), then its coefficients, so that
     * a column costs one cache line (64 bytes for six roles and in-scope) instead of two. */
    const double *rows = (const double *)block->rows.buf;
    Py_ssize_t width = block->width;
    double length = 0.0;
    for (Py_ssize_t i = 0; i < unique; i++) {
        double tf = block->binary ? 1.0 : (double)counts[i];
        if (block->sublinear && !block->binary) {
            tf = log(tf) + 1.0;
        }
        tf *= rows[cols[i] * width];
        values[i] = tf;
        length += block->norm == 2 ? tf * tf : fabs(tf);
    }
    double scale = block->weight;
    if (block->norm == 2) {
        length = sqrt(length);
    }
    if (block->norm != 0 && length != 0.0) {
        scale = scale / length;
    }
    double *out = (double *)block->out.buf;
    for (Py_ssize_t i = 0; i < unique; i++) {
        double value = scale != 1.0 ? values[i] * scale : values[i];
        const double *row = rows + cols[i] * width + 1;
        for (Py_ssize_t k = 0; k < width - 1; k++) {
            out[k] += value * row[k];
        }
    }
    status = 0;
done:
    if (!local) {
        PyMem_Free(cols);
        PyMem_Free(counts);
        PyMem_Free(values);
    }
    return status;
}

enum { FIRST_CLAUSE = 1, BIGRAMS = 2, EXCLUSIVE = 4, TENSE_MARKS = 8 };
enum { KIND_W, KIND_P, KIND_C, KIND_F, KINDS };
enum { IS_PUNCTUATION = 1, IS_PAST_PREFIX = 2 };

/* The word block's vocabulary by word id: one dict look-up per token, then arrays. */
typedef struct {
    PyObject *ids;          /* dict: word -> id */
    Py_ssize_t n_ids;
    Py_ssize_t *columns;    /* n_ids x KINDS: column of w:, p:, c:, f: word, or -1 */
    unsigned char *marks;   /* n_ids: IS_PUNCTUATION | IS_PAST_PREFIX */
    Py_ssize_t pair_size;   /* power of two */
    long long *pair_keys;   /* first id * n_ids + second id, or -1 for an empty slot */
    Py_ssize_t *pair_columns; /* pair_size x 2: column of b: and pb: pair, or -1 */
} Tables;

static const char *TABLES_NAME = "training._fastscore.Tables";

static void tables_free(Tables *t) {
    if (t == NULL) {
        return;
    }
    Py_XDECREF(t->ids);
    PyMem_Free(t->columns);
    PyMem_Free(t->marks);
    PyMem_Free(t->pair_keys);
    PyMem_Free(t->pair_columns);
    PyMem_Free(t);
}

static void tables_capsule_free(PyObject *capsule) {
    tables_free(PyCapsule_GetPointer(capsule, TABLES_NAME));
}

static size_t pair_slot(long long key, Py_ssize_t size) {
    return (size_t)((unsigned long long)key * 0x9E3779B97F4A7C15ull >> 17) & (size_t)(size - 1);
}

static int read_sizes(PyObject *object, Py_ssize_t expected, Py_ssize_t *out, const char *what) {
    PyObject *sequence = PySequence_Fast(object, what);
    if (sequence == NULL) {
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(sequence) != expected) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd values", what, expected);
        Py_DECREF(sequence);
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(sequence);
    for (Py_ssize_t i = 0; i < expected; i++) {
        out[i] = PyNumber_AsSsize_t(items[i], PyExc_OverflowError);
        if (out[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(sequence);
            return -1;
        }
    }
    Py_DECREF(sequence);
    return 0;
}

/* word_tables(ids, columns, marks, pairs) -> capsule
 *   ids: dict word -> id (0 .. n-1); columns: n*4 ints (w, p, c, f columns or -1);
 *   marks: n ints (1 punctuation, 2 past prefix); pairs: (first id, second id, kind, column) with
 *   kind 0 for a b: pair, 1 for a pb: pair (a pair of words may have both). */
static PyObject *word_tables(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyDict_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "word_tables(ids: dict, columns, marks, pairs)");
        return NULL;
    }
    Tables *t = PyMem_Calloc(1, sizeof(Tables));
    if (t == NULL) {
        return PyErr_NoMemory();
    }
    t->n_ids = PyDict_GET_SIZE(args[0]);
    t->columns = PyMem_New(Py_ssize_t, t->n_ids * KINDS + 1);
    t->marks = PyMem_New(unsigned char, t->n_ids + 1);
    Py_ssize_t *marks = PyMem_New(Py_ssize_t, t->n_ids + 1);
    PyObject *pairs = PySequence_Fast(args[3], "pairs must be a sequence");
    if (t->columns == NULL || t->marks == NULL || marks == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (pairs == NULL || read_sizes(args[1], t->n_ids * KINDS, t->columns, "columns") < 0
            || read_sizes(args[2], t->n_ids, marks, "marks") < 0) {
        goto fail;
    }
    for (Py_ssize_t i = 0; i < t->n_ids; i++) {
        t->marks[i] = (unsigned char)marks[i];
    }
    Py_ssize_t n_pairs = PySequence_Fast_GET_SIZE(pairs);
    t->pair_size = 16;
    while (t->pair_size < 2 * n_pairs) {
        t->pair_size *= 2;
    }
    t->pair_keys = PyMem_New(long long, t->pair_size);
    t->pair_columns = PyMem_New(Py_ssize_t, t->pair_size * 2);
    if (t->pair_keys == NULL || t->pair_columns == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < t->pair_size; i++) {
        t->pair_keys[i] = -1;
    }
    for (Py_ssize_t i = 0; i < n_pairs; i++) {
        Py_ssize_t pair[4];
        if (read_sizes(PySequence_Fast_GET_ITEM(pairs, i), 4, pair, "a pair must be (first, second, kind, column)") < 0) {
            goto fail;
        }
        if (pair[0] < 0 || pair[0] >= t->n_ids || pair[1] < 0 || pair[1] >= t->n_ids || pair[2] < 0 || pair[2] > 1) {
            PyErr_SetString(PyExc_ValueError, "pair word id or kind out of range");
            goto fail;
        }
        long long key = (long long)pair[0] * t->n_ids + pair[1];
        size_t slot = pair_slot(key, t->pair_size);
        while (t->pair_keys[slot] != -1 && t->pair_keys[slot] != key) {
            slot = (slot + 1) & (size_t)(t->pair_size - 1);
        }
        if (t->pair_keys[slot] == -1) {
            t->pair_keys[slot] = key;
            t->pair_columns[2 * slot] = t->pair_columns[2 * slot + 1] = -1;
        }
        t->pair_columns[2 * slot + pair[2]] = pair[3];
    }
    Py_INCREF(args[0]);
    t->ids = args[0];
    PyMem_Free(marks);
    Py_DECREF(pairs);
    PyObject *capsule = PyCapsule_New(t, TABLES_NAME, tables_capsule_free);
    if (capsule == NULL) {
        tables_free(t);
    }
    return capsule;
fail:
    PyMem_Free(marks);
    Py_XDECREF(pairs);
    tables_free(t);
    return NULL;
}

static int push_column(Columns *out, Py_ssize_t column) {
    return column >= 0 ? columns_push(out, column) : 0;
}

/* Columns of one kind (w:, p:, c:, f:) for a run of word ids (-1: not in the vocabulary). */
static int push_kind(Columns *out, const Tables *t, const Py_ssize_t *ids, Py_ssize_t n, int kind) {
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ids[i] >= 0 && push_column(out, t->columns[ids[i] * KINDS + kind]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Columns of the bigrams (b: when which is 0, pb: when 1) of a run of word ids. */
static int push_pairs(Columns *out, const Tables *t, const Py_ssize_t *ids, Py_ssize_t n, int which) {
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        if (ids[i] < 0 || ids[i + 1] < 0) {
            continue;
        }
        long long key = (long long)ids[i] * t->n_ids + ids[i + 1];
        size_t slot = pair_slot(key, t->pair_size);
        while (t->pair_keys[slot] != -1) {
            if (t->pair_keys[slot] == key) {
                if (push_column(out, t->pair_columns[2 * slot + which]) < 0) {
                    return -1;
                }
                break;
            }
            slot = (slot + 1) & (size_t)(t->pair_size - 1);
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

/* Columns of one clause's words (punctuation already removed), as _WordColumns.counts. */
static int clause_columns(Columns *out, const Tables *t, const Py_ssize_t *ids, Py_ssize_t n, int past,
                          int current, long flags) {
    int bigrams = (flags & BIGRAMS) != 0;
    if (past && (flags & EXCLUSIVE)) {
        if (push_kind(out, t, ids, n, KIND_P) < 0 || (bigrams && push_pairs(out, t, ids, n, 1) < 0)) {
            return -1;
        }
        return 0;
    }
    if (push_kind(out, t, ids, n, KIND_W) < 0 || (bigrams && push_pairs(out, t, ids, n, 0) < 0)) {
        return -1;
    }
    if (!(flags & TENSE_MARKS)) {
        return 0;
    }
    if (past) {
        return push_kind(out, t, ids, n, KIND_P);
    }
    int after_past_prefix = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ids[i] >= 0) {
            if (after_past_prefix) {
                if (push_column(out, t->columns[ids[i] * KINDS + KIND_P]) < 0) {
                    return -1;
                }
            } else if (current) {
                if (push_column(out, t->columns[ids[i] * KINDS + KIND_C]) < 0) {
                    return -1;
                }
            }
        }
        after_past_prefix = ids[i] >= 0 && (t->marks[ids[i]] & IS_PAST_PREFIX);
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
    Py_ssize_t n_spaces = 0;
    /* spaces, then token starts, then token ids, then one clause's word ids. */
    Py_ssize_t *memory = NULL;
    if (n_tokens < (PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Py_ssize_t) - text_length) / 4) {
        memory = PyMem_New(Py_ssize_t, text_length + 3 * n_tokens + 3);
    }
    if (memory == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t *spaces = memory;
    Py_ssize_t *starts = spaces + text_length + 1;
    Py_ssize_t *token_ids = starts + n_tokens + 1;
    Py_ssize_t *words = token_ids + n_tokens + 1;
    for (Py_ssize_t i = 0; i < text_length; i++) {
        if (PyUnicode_READ(kind, data, i) == ' ') {
            spaces[n_spaces++] = i;
        }
    }
    /* Where each token starts in the text without its spaces (MeCab drops them). */
    starts[0] = 0;
    for (Py_ssize_t i = 0; i < n_tokens; i++) {
        PyObject *token = PyList_GET_ITEM(tokens, i);
        /* Exactly str: a subclass could run Python code during the look-ups below and change the list. */
        if (!PyUnicode_CheckExact(token)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be str");
            goto done;
        }
        starts[i + 1] = starts[i] + PyUnicode_GET_LENGTH(token);
    }
    if (starts[n_tokens] != text_length - n_spaces) {
        status = 0;
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_tokens; i++) {
        PyObject *id = PyDict_GetItemWithError(t->ids, PyList_GET_ITEM(tokens, i));
        if (id == NULL) {
            if (PyErr_Occurred()) {
                goto done;
            }
            token_ids[i] = -1;
        } else {
            token_ids[i] = PyLong_AsSsize_t(id);
            if (token_ids[i] < 0 || token_ids[i] >= t->n_ids) {
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_ValueError, "word id out of range");
                }
                goto done;
            }
        }
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
        Py_ssize_t start, end;
        int past, current;
        if (((start = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0))) == -1 && PyErr_Occurred())
                || ((end = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1))) == -1 && PyErr_Occurred())) {
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
            if (token_ids[i] < 0 || !(t->marks[token_ids[i]] & IS_PUNCTUATION)) {
                words[n_words++] = token_ids[i];
            }
        }
        if (first) {
            /* The first clause is the first span, even when it has no words. */
            if (push_kind(out, t, words, n_words, KIND_F) < 0) {
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
    PyMem_Free(memory);
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
    if (!PyCapsule_IsValid(args[3], TABLES_NAME)) {
        PyErr_SetString(PyExc_TypeError, "tables must come from word_tables()");
        return NULL;
    }
    Tables *tables = PyCapsule_GetPointer(args[3], TABLES_NAME);
    long flags = PyLong_AsLong(args[4]);
    if (flags == -1 && PyErr_Occurred()) {
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
    int status = word_columns(&columns, text, tokens, span_sequence, tables, flags);
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
        Py_ssize_t column = PyNumber_AsSsize_t(items[i], PyExc_OverflowError);
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
    {"word_tables", (PyCFunction)(void (*)(void))word_tables, METH_FASTCALL,
     "Compile the word block's vocabulary by word id (a capsule for word_scores)."},
    {"column_scores", (PyCFunction)(void (*)(void))column_scores, METH_FASTCALL,
     "Add the scores of one block's counted columns (with repeats) to out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastscore", "Compiled inner loops of training.fast.", -1, methods,
};

#ifndef FASTSCORE_SOURCE_SHA256
#define FASTSCORE_SOURCE_SHA256 ""
#endif

PyMODINIT_FUNC PyInit__fastscore(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    /* The flags of word_scores and the marks of word_tables, so that Python names them once;
     * and the sha256 of this file as built (setup.py), so that a stale build can be told. */
    if (PyModule_AddIntConstant(m, "FIRST_CLAUSE", FIRST_CLAUSE) < 0
            || PyModule_AddIntConstant(m, "BIGRAMS", BIGRAMS) < 0
            || PyModule_AddIntConstant(m, "EXCLUSIVE", EXCLUSIVE) < 0
            || PyModule_AddIntConstant(m, "TENSE_MARKS", TENSE_MARKS) < 0
            || PyModule_AddIntConstant(m, "IS_PUNCTUATION", IS_PUNCTUATION) < 0
            || PyModule_AddIntConstant(m, "IS_PAST_PREFIX", IS_PAST_PREFIX) < 0
            || PyModule_AddStringConstant(m, "SOURCE_SHA256", FASTSCORE_SOURCE_SHA256) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
