/*
 * Compiled matching for the keyword and clause regexes (training/matcher.py).
 *
 * Python's `re` costs a call into its engine at every position where a
 * pattern's first character could match, and the role patterns start with
 * common kanji, so seven scans of one bio cost more than a third of MeCab's
 * time. This is a small backtracking matcher for the subset of regex syntax
 * those patterns use, with `re`'s semantics: leftmost-first alternation,
 * greedy repeats of one character (class) that give back one character at a
 * time, look-ahead and fixed-width look-behind (atomic, as in `re`), ^ and $.
 * A table from first character to the alternatives that can start with it
 * means most positions cost one hash look-up.
 *
 * training/matcher.py turns a compiled `re` pattern into the program this
 * file takes (or keeps `re` for syntax outside the subset), and the tests
 * compare the two on the corpus and on fuzzed text.
 *
 *   compile(alternatives, firsts) -> matcher
 *       alternatives: tuple of sequences; a sequence is a tuple of nodes:
 *         (0, negate, categories, ranges, min, max)  one character of a class
 *             (ranges: flat tuple lo, hi, lo, hi, ...), repeated min..max times, greedy
 *         (1, sequences)                             alternation, leftmost first
 *         (2, behind, negate, width, sequence)       look-ahead / look-behind
 *         (3, where)                                 0: ^ (subject start), 1: $
 *       firsts: per alternative, the characters a match must start with, or None (any)
 *   find_all(matcher, text) -> [start, end, start, end, ...]  as re.finditer's spans
 *   search(matcher, text, start, end) -> bool                as re.search(text[start:end])
 *   compile_set(matchers) -> set;  find_all_set(set, text) -> (find_all of each matcher, ...)
 *       in one pass over the text, for the seven role patterns of one bio
 *   clause_spans(split, current, past, past_boundaries, text)
 *   cue_columns(roles, past_prefix, window, text, spans, first_clause, table)
 *       training/keywords.py's clause_spans and keyword cues, in C on the same matchers (the
 *       latter straight to the cue block's columns, for training/fast.py)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

enum { N_CHARS = 0, N_BRANCH = 1, N_LOOK = 2, N_AT = 3 };
enum { CAT_SPACE = 1, CAT_NOT_SPACE = 2, CAT_DIGIT = 4, CAT_NOT_DIGIT = 8, CAT_WORD = 16, CAT_NOT_WORD = 32 };

typedef struct Seq Seq;

typedef struct {
    int kind;
    int negate;           /* N_CHARS: class negated; N_LOOK: negative assertion */
    int categories;       /* N_CHARS: CAT_* flags */
    int behind;           /* N_LOOK: look-behind; N_AT: 0 ^, 1 $ */
    Py_ssize_t n_ranges;  /* N_CHARS */
    Py_UCS4 *ranges;      /* N_CHARS: lo, hi pairs */
    Py_ssize_t min, max;  /* N_CHARS: repeat; N_LOOK: width in min */
    Py_ssize_t n_seqs;    /* N_BRANCH: alternatives; N_LOOK: 1 (the body) */
    Seq *seqs;
} Node;

struct Seq {
    Py_ssize_t n;
    Node *nodes;
    /* The characters its first nodes match one each (a literal prefix), compared directly before
     * the nodes after them are tried (top-level alternatives only; 0 elsewhere). */
    Py_ssize_t prefix_length;
};

#define NO_KEY ((Py_UCS4)0xFFFFFFFFu)
#define FILTER_BITS 4096

static inline int filter_has(const unsigned char *filter, Py_UCS4 ch) {
    return (filter[(ch & (FILTER_BITS - 1)) >> 3] >> (ch & 7)) & 1;
}

static inline void filter_add(unsigned char *filter, Py_UCS4 ch) {
    filter[(ch & (FILTER_BITS - 1)) >> 3] |= (unsigned char)(1u << (ch & 7));
}

typedef struct {
    Py_ssize_t n_alts;
    Seq *alts;
    /* First character -> the alternatives to try there (in order): slot i lists
     * list[offset[i] .. offset[i] + count[i]); other characters try the `wild` ones. */
    Py_ssize_t size;      /* power of two */
    Py_UCS4 *keys;
    Py_ssize_t *offset, *count;
    Py_ssize_t *list;
    Py_ssize_t wild_offset, wild_count;
    /* A bit per (character mod FILTER_BITS) that starts some alternative: most positions are
     * ruled out by one bit before the hash look-up. */
    unsigned char filter[FILTER_BITS / 8];
} Matcher;

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t start, end;
} Subject;

static const char *MATCHER_NAME = "training._fastmatch.Matcher";

/* ---- freeing ---- */

static void seq_free(Seq *seq);

static void node_free(Node *node) {
    PyMem_Free(node->ranges);
    if (node->seqs != NULL) {
        for (Py_ssize_t i = 0; i < node->n_seqs; i++) {
            seq_free(&node->seqs[i]);
        }
        PyMem_Free(node->seqs);
    }
}

static void seq_free(Seq *seq) {
    if (seq->nodes != NULL) {
        for (Py_ssize_t i = 0; i < seq->n; i++) {
            node_free(&seq->nodes[i]);
        }
        PyMem_Free(seq->nodes);
    }
    seq->nodes = NULL;
    seq->n = 0;
}

static void matcher_free(Matcher *m) {
    if (m->alts != NULL) {
        for (Py_ssize_t i = 0; i < m->n_alts; i++) {
            seq_free(&m->alts[i]);
        }
        PyMem_Free(m->alts);
    }
    PyMem_Free(m->keys);
    PyMem_Free(m->offset);
    PyMem_Free(m->count);
    PyMem_Free(m->list);
    PyMem_Free(m);
}

static void matcher_capsule_free(PyObject *capsule) {
    matcher_free((Matcher *)PyCapsule_GetPointer(capsule, MATCHER_NAME));
}

/* ---- reading the program ---- */

static int read_ssize(PyObject *tuple, Py_ssize_t i, Py_ssize_t *out) {
    *out = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, i));
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

/* How deep programs may nest (alternations and look-arounds inside each other): deeper ones are
 * refused, so that reading and matching them cannot exhaust the C stack. */
#define MAX_NESTING 64

static int read_seq(PyObject *object, Seq *seq, int depth);

static int read_node(PyObject *object, Node *node, int depth) {
    memset(node, 0, sizeof(*node));
    if (!PyTuple_Check(object) || PyTuple_GET_SIZE(object) < 2) {
        PyErr_SetString(PyExc_ValueError, "a node is a tuple (kind, ...)");
        return -1;
    }
    Py_ssize_t kind, size = PyTuple_GET_SIZE(object), value;
    if (read_ssize(object, 0, &kind) < 0) {
        return -1;
    }
    node->kind = (int)kind;
    switch (kind) {
    case N_CHARS: {
        PyObject *ranges;
        if (size != 6 || !PyTuple_Check(ranges = PyTuple_GET_ITEM(object, 3))
                || PyTuple_GET_SIZE(ranges) % 2 != 0) {
            PyErr_SetString(PyExc_ValueError, "a class node is (0, negate, categories, ranges, min, max)");
            return -1;
        }
        if (read_ssize(object, 1, &value) < 0) {
            return -1;
        }
        node->negate = value != 0;
        if (read_ssize(object, 2, &value) < 0) {
            return -1;
        }
        if (value < 0 || value > (CAT_SPACE | CAT_NOT_SPACE | CAT_DIGIT | CAT_NOT_DIGIT | CAT_WORD | CAT_NOT_WORD)) {
            PyErr_SetString(PyExc_ValueError, "unknown character categories");
            return -1;
        }
        node->categories = (int)value;
        if (read_ssize(object, 4, &node->min) < 0 || read_ssize(object, 5, &node->max) < 0) {
            return -1;
        }
        if (node->min < 0 || node->max < node->min) {
            PyErr_SetString(PyExc_ValueError, "a class node needs 0 <= min <= max");
            return -1;
        }
        node->n_ranges = PyTuple_GET_SIZE(ranges) / 2;
        node->ranges = PyMem_New(Py_UCS4, 2 * node->n_ranges + 1);
        if (node->ranges == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < 2 * node->n_ranges; i++) {
            if (read_ssize(ranges, i, &value) < 0) {
                return -1;
            }
            if (value < 0 || value > 0x10FFFF) {
                PyErr_SetString(PyExc_ValueError, "a range bound is not a code point");
                return -1;
            }
            node->ranges[i] = (Py_UCS4)value;
        }
        return 0;
    }
    case N_BRANCH: {
        PyObject *seqs;
        if (size != 2 || !PyTuple_Check(seqs = PyTuple_GET_ITEM(object, 1))) {
            PyErr_SetString(PyExc_ValueError, "a branch node is (1, sequences)");
            return -1;
        }
        node->n_seqs = PyTuple_GET_SIZE(seqs);
        node->seqs = PyMem_New(Seq, node->n_seqs + 1);
        if (node->seqs == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memset(node->seqs, 0, sizeof(Seq) * (node->n_seqs + 1));
        for (Py_ssize_t i = 0; i < node->n_seqs; i++) {
            if (read_seq(PyTuple_GET_ITEM(seqs, i), &node->seqs[i], depth + 1) < 0) {
                return -1;
            }
        }
        return 0;
    }
    case N_LOOK: {
        if (size != 5) {
            PyErr_SetString(PyExc_ValueError, "a look-around node is (2, behind, negate, width, sequence)");
            return -1;
        }
        if (read_ssize(object, 1, &value) < 0) {
            return -1;
        }
        node->behind = value != 0;
        if (read_ssize(object, 2, &value) < 0) {
            return -1;
        }
        node->negate = value != 0;
        if (read_ssize(object, 3, &node->min) < 0) {
            return -1;
        }
        if (node->min < 0) {
            PyErr_SetString(PyExc_ValueError, "a look-behind width is not negative");
            return -1;
        }
        node->n_seqs = 1;
        node->seqs = PyMem_New(Seq, 1);
        if (node->seqs == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memset(node->seqs, 0, sizeof(Seq));
        return read_seq(PyTuple_GET_ITEM(object, 4), &node->seqs[0], depth + 1);
    }
    case N_AT:
        if (size != 2 || read_ssize(object, 1, &value) < 0) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "an anchor node is (3, where)");
            }
            return -1;
        }
        node->behind = value != 0;
        return 0;
    default:
        PyErr_Format(PyExc_ValueError, "unknown node kind %zd", kind);
        return -1;
    }
}

static int read_seq(PyObject *object, Seq *seq, int depth) {
    if (!PyTuple_Check(object)) {
        PyErr_SetString(PyExc_ValueError, "a sequence is a tuple of nodes");
        return -1;
    }
    if (depth > MAX_NESTING) {
        PyErr_Format(PyExc_ValueError, "the program nests deeper than %d levels", MAX_NESTING);
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(object);
    seq->nodes = PyMem_New(Node, n + 1);
    if (seq->nodes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(seq->nodes, 0, sizeof(Node) * (n + 1));
    seq->n = n; /* nodes not read yet are zeroed, so freeing them is safe */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (read_node(PyTuple_GET_ITEM(object, i), &seq->nodes[i], depth) < 0) {
            return -1;
        }
    }
    return 0;
}

static size_t key_slot(Py_UCS4 key, Py_ssize_t size) {
    return (size_t)(((unsigned long long)key * 0x9E3779B97F4A7C15ull) >> 32) & (size_t)(size - 1);
}

/* The slot of a key in the first-character index, or of the empty slot where it would go. */
static size_t index_slot(const Matcher *m, Py_UCS4 key) {
    size_t slot = key_slot(key, m->size);
    while (m->keys[slot] != NO_KEY && m->keys[slot] != key) {
        slot = (slot + 1) & (size_t)(m->size - 1);
    }
    return slot;
}

/* The first-character index: per character, the alternatives that list it and the wild ones, in
 * order. Two passes over (alternative, character): count, then fill. */
static int build_index(Matcher *m, PyObject *firsts) {
    Py_ssize_t n_pairs = 0, wild = 0;
    for (Py_ssize_t i = 0; i < m->n_alts; i++) {
        PyObject *chars = PyTuple_GET_ITEM(firsts, i);
        if (chars == Py_None) {
            wild++;
        } else if (!PyTuple_Check(chars)) {
            PyErr_SetString(PyExc_ValueError, "firsts holds a tuple of code points or None per alternative");
            return -1;
        } else {
            n_pairs += PyTuple_GET_SIZE(chars);
        }
    }
    m->size = 8;
    while (m->size < 2 * n_pairs + 2) {
        m->size *= 2;
    }
    m->keys = PyMem_New(Py_UCS4, m->size);
    m->offset = PyMem_New(Py_ssize_t, m->size);
    m->count = PyMem_New(Py_ssize_t, m->size);
    Py_ssize_t *last = PyMem_New(Py_ssize_t, m->size); /* the last alternative counted for the slot */
    Py_UCS4 *codes = PyMem_New(Py_UCS4, n_pairs + 1);     /* the first characters, read once */
    int status = -1;
    if (m->keys == NULL || m->offset == NULL || m->count == NULL || last == NULL || codes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t s = 0; s < m->size; s++) {
        m->keys[s] = NO_KEY;
        m->count[s] = 0;
        last[s] = -1;
    }
    /* Count: each key lists each alternative once, and every wild one. */
    Py_ssize_t pair = 0;
    for (Py_ssize_t i = 0; i < m->n_alts; i++) {
        PyObject *chars = PyTuple_GET_ITEM(firsts, i);
        if (chars == Py_None) {
            continue;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(chars); j++, pair++) {
            Py_ssize_t value;
            if (read_ssize(chars, j, &value) < 0) {
                goto done;
            }
            if (value < 0 || value > 0x10FFFF) {
                PyErr_SetString(PyExc_ValueError, "a first character is not a code point");
                goto done;
            }
            codes[pair] = (Py_UCS4)value;
            size_t slot = index_slot(m, codes[pair]);
            if (m->keys[slot] == NO_KEY) {
                m->keys[slot] = codes[pair];
                filter_add(m->filter, codes[pair]);
            }
            if (last[slot] != i) {
                last[slot] = i;
                m->count[slot]++;
            }
        }
    }
    Py_ssize_t used = 0;
    for (Py_ssize_t s = 0; s < m->size; s++) {
        if (m->keys[s] != NO_KEY) {
            m->offset[s] = used;
            used += m->count[s] + wild;
            m->count[s] = 0; /* refilled below */
            last[s] = -1;
        }
    }
    m->wild_offset = used;
    m->wild_count = wild;
    m->list = PyMem_New(Py_ssize_t, used + wild + 1);
    if (m->list == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* Fill, alternatives in order, so that every list keeps the pattern's order. */
    Py_ssize_t wild_used = 0;
    pair = 0;
    for (Py_ssize_t i = 0; i < m->n_alts; i++) {
        PyObject *chars = PyTuple_GET_ITEM(firsts, i);
        if (chars == Py_None) {
            for (Py_ssize_t s = 0; s < m->size; s++) {
                if (m->keys[s] != NO_KEY) {
                    m->list[m->offset[s] + m->count[s]++] = i;
                }
            }
            m->list[m->wild_offset + wild_used++] = i;
            continue;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(chars); j++, pair++) {
            size_t slot = index_slot(m, codes[pair]);
            if (last[slot] != i) {
                last[slot] = i;
                m->list[m->offset[slot] + m->count[slot]++] = i;
            }
        }
    }
    status = 0;
done:
    PyMem_Free(last);
    PyMem_Free(codes);
    return status;
}

/* One character, exactly this one: a literal. */
static int is_literal(const Node *node) {
    return node->kind == N_CHARS && node->min == 1 && node->max == 1 && !node->negate && !node->categories
        && node->n_ranges == 1 && node->ranges[0] == node->ranges[1];
}

static PyObject *compile_matcher(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyTuple_Check(args[0]) || !PyTuple_Check(args[1])
            || PyTuple_GET_SIZE(args[0]) != PyTuple_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, "compile(alternatives, firsts): two tuples of one length");
        return NULL;
    }
    Matcher *m = PyMem_New(Matcher, 1);
    if (m == NULL) {
        return PyErr_NoMemory();
    }
    memset(m, 0, sizeof(*m));
    m->n_alts = PyTuple_GET_SIZE(args[0]);
    m->alts = PyMem_New(Seq, m->n_alts + 1);
    if (m->alts == NULL) {
        PyMem_Free(m);
        return PyErr_NoMemory();
    }
    memset(m->alts, 0, sizeof(Seq) * (m->n_alts + 1));
    for (Py_ssize_t i = 0; i < m->n_alts; i++) {
        Seq *alt = &m->alts[i];
        if (read_seq(PyTuple_GET_ITEM(args[0], i), alt, 0) < 0) {
            matcher_free(m);
            return NULL;
        }
        while (alt->prefix_length < alt->n && is_literal(&alt->nodes[alt->prefix_length])) {
            alt->prefix_length++;
        }
    }
    if (build_index(m, args[1]) < 0) {
        matcher_free(m);
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(m, MATCHER_NAME, matcher_capsule_free);
    if (capsule == NULL) {
        matcher_free(m);
    }
    return capsule;
}

/* ---- matching ---- */

static inline int class_has(const Node *node, Py_UCS4 ch) {
    int hit = 0;
    for (Py_ssize_t i = 0; i < node->n_ranges; i++) {
        if (ch >= node->ranges[2 * i] && ch <= node->ranges[2 * i + 1]) {
            hit = 1;
            break;
        }
    }
    if (!hit && node->categories) {
        int c = node->categories;
        hit = ((c & CAT_SPACE) && Py_UNICODE_ISSPACE(ch))
            || ((c & CAT_NOT_SPACE) && !Py_UNICODE_ISSPACE(ch))
            || ((c & CAT_DIGIT) && Py_UNICODE_ISDECIMAL(ch))
            || ((c & CAT_NOT_DIGIT) && !Py_UNICODE_ISDECIMAL(ch))
            || ((c & CAT_WORD) && (Py_UNICODE_ISALNUM(ch) || ch == '_'))
            || ((c & CAT_NOT_WORD) && !(Py_UNICODE_ISALNUM(ch) || ch == '_'));
    }
    return hit != node->negate;
}

typedef struct Cont {
    const Seq *seq;
    Py_ssize_t index;
    const struct Cont *next;
} Cont;

/* Does seq[index:] followed by the continuations match at pos? On success *end is where the whole
 * match ends. Recursion depth is bounded by the pattern (about one level per node on the way, which
 * training/matcher.py limits), not by the text. */
static int match_seq(const Subject *s, const Seq *seq, Py_ssize_t index, Py_ssize_t pos, const Cont *cont,
                     Py_ssize_t *end) {
    for (;;) {
        if (index == seq->n) {
            if (cont == NULL) {
                *end = pos;
                return 1;
            }
            seq = cont->seq;
            index = cont->index;
            cont = cont->next;
            continue;
        }
        const Node *node = &seq->nodes[index];
        switch (node->kind) {
        case N_AT:
            if (node->behind ? !(pos == s->end || (pos + 1 == s->end && PyUnicode_READ(s->kind, s->data, pos) == '\n'))
                             : pos != s->start) {
                return 0;
            }
            index++;
            continue;
        case N_CHARS: {
            Py_ssize_t limit = s->end - pos < node->max ? s->end - pos : node->max, n = 0;
            while (n < limit && class_has(node, PyUnicode_READ(s->kind, s->data, pos + n))) {
                n++;
            }
            if (n < node->min) {
                return 0;
            }
            if (n == node->min) {
                pos += n;
                index++;
                continue;
            }
            /* Greedy: the longest run first, then one character less at a time; when a single
             * character follows (as in re), only where it stands. */
            const Node *next = index + 1 < seq->n ? &seq->nodes[index + 1] : NULL;
            int literal = next != NULL && next->kind == N_CHARS && next->min >= 1 && !next->negate
                && !next->categories && next->n_ranges == 1 && next->ranges[0] == next->ranges[1];
            for (Py_ssize_t k = n; k >= node->min; k--) {
                if (literal && (pos + k >= s->end || PyUnicode_READ(s->kind, s->data, pos + k) != next->ranges[0])) {
                    continue;
                }
                if (match_seq(s, seq, index + 1, pos + k, cont, end)) {
                    return 1;
                }
            }
            return 0;
        }
        case N_BRANCH: {
            Cont after = {seq, index + 1, cont};
            for (Py_ssize_t i = 0; i < node->n_seqs; i++) {
                if (match_seq(s, &node->seqs[i], 0, pos, &after, end)) {
                    return 1;
                }
            }
            return 0;
        }
        case N_LOOK: {
            /* Atomic, as in re: the body's own match is not revisited. */
            Py_ssize_t at = node->behind ? pos - node->min : pos, body_end;
            int found = at >= s->start && match_seq(s, &node->seqs[0], 0, at, NULL, &body_end);
            if (found == node->negate) {
                return 0;
            }
            index++;
            continue;
        }
        default:
            return 0;
        }
    }
}

/* The end of the leftmost-first match starting at pos, or -1. */
static Py_ssize_t match_at(const Matcher *m, const Subject *s, Py_ssize_t pos) {
    Py_UCS4 ch = PyUnicode_READ(s->kind, s->data, pos);
    if (m->wild_count == 0 && !filter_has(m->filter, ch)) {
        return -1;
    }
    size_t slot = key_slot(ch, m->size);
    while (m->keys[slot] != NO_KEY && m->keys[slot] != ch) {
        slot = (slot + 1) & (size_t)(m->size - 1);
    }
    const Py_ssize_t *alts;
    Py_ssize_t count;
    if (m->keys[slot] == ch) {
        alts = m->list + m->offset[slot];
        count = m->count[slot];
    } else {
        alts = m->list + m->wild_offset;
        count = m->wild_count;
    }
    Py_ssize_t end;
    for (Py_ssize_t i = 0; i < count; i++) {
        const Seq *alt = &m->alts[alts[i]];
        Py_ssize_t k = 0, length = alt->prefix_length;
        if (length > s->end - pos) {
            continue;
        }
        while (k < length && PyUnicode_READ(s->kind, s->data, pos + k) == alt->nodes[k].ranges[0]) {
            k++;
        }
        if (k == length && match_seq(s, alt, length, pos + length, NULL, &end)) {
            return end;
        }
    }
    return -1;
}

/* Whether the pattern matches in text[start:end], taken as a string of its own. */
static int search_range(const Matcher *m, const Subject *text, Py_ssize_t start, Py_ssize_t end) {
    Subject s = {text->kind, text->data, start, end};
    for (Py_ssize_t pos = start; pos < end; pos++) {
        if (match_at(m, &s, pos) >= 0) {
            return 1;
        }
    }
    return 0;
}

static Matcher *get_matcher(PyObject *capsule) {
    return (Matcher *)PyCapsule_GetPointer(capsule, MATCHER_NAME);
}

/* The text argument as a subject: any str (of a subclass only the characters are read). */
static int as_subject(PyObject *text, Subject *s, const char *usage) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "%s: text must be a str", usage);
        return -1;
    }
    if (PyUnicode_READY(text) < 0) {
        return -1;
    }
    s->kind = PyUnicode_KIND(text);
    s->data = PyUnicode_DATA(text);
    s->start = 0;
    s->end = PyUnicode_GET_LENGTH(text);
    return 0;
}

static int append_span(PyObject *list, Py_ssize_t start, Py_ssize_t end) {
    PyObject *a = PyLong_FromSsize_t(start), *b = PyLong_FromSsize_t(end);
    int status = (a == NULL || b == NULL || PyList_Append(list, a) < 0 || PyList_Append(list, b) < 0) ? -1 : 0;
    Py_XDECREF(a);
    Py_XDECREF(b);
    return status;
}

static PyObject *find_all(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Subject s;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "find_all(matcher, text)");
        return NULL;
    }
    Matcher *m = get_matcher(args[0]);
    if (m == NULL || as_subject(args[1], &s, "find_all(matcher, text)") < 0) {
        return NULL;
    }
    PyObject *spans = PyList_New(0);
    if (spans == NULL) {
        return NULL;
    }
    Py_ssize_t pos = s.start;
    while (pos < s.end) {
        Py_ssize_t end = match_at(m, &s, pos);
        if (end < 0) {
            pos++;
            continue;
        }
        if (append_span(spans, pos, end) < 0) {
            Py_DECREF(spans);
            return NULL;
        }
        /* Patterns are compiled only when no match is empty (matcher.py), so this moves on. */
        pos = end > pos ? end : pos + 1;
    }
    return spans;
}

static PyObject *search(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Subject s;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "search(matcher, text, start, end)");
        return NULL;
    }
    Matcher *m = get_matcher(args[0]);
    if (m == NULL || as_subject(args[1], &s, "search(matcher, text, start, end)") < 0) {
        return NULL;
    }
    Py_ssize_t length = s.end;
    /* Bounds beyond the Py_ssize_t range are clamped, as a slice's are. */
    Py_ssize_t start = PyNumber_AsSsize_t(args[2], NULL), end = PyNumber_AsSsize_t(args[3], NULL);
    if ((start == -1 || end == -1) && PyErr_Occurred()) {
        return NULL;
    }
    /* As a slice text[start:end] would be. */
    if (start < 0) {
        start = start + length < 0 ? 0 : start + length;
    }
    if (end < 0) {
        end = end + length < 0 ? 0 : end + length;
    }
    if (start > length) {
        start = length;
    }
    if (end > length) {
        end = length;
    }
    return PyBool_FromLong(search_range(m, &s, start, end < start ? start : end));
}

/* ---- several patterns in one pass ---- */

/* Up to 64 matchers scanned together: one look-up per position (a bit filter of the first
 * characters, then a hash table of which matchers list the character) instead of one scan per
 * pattern. Each matcher keeps its own position, so its matches are those of its own scan. */
typedef struct {
    Py_ssize_t n;
    Matcher **matchers;
    PyObject *capsules;        /* the matchers' capsules, kept alive */
    unsigned char filter[FILTER_BITS / 8]; /* as Matcher.filter, for the keys of all matchers */
    Py_ssize_t size;           /* power of two */
    Py_UCS4 *keys;
    unsigned long long *masks; /* per key: the matchers with alternatives that start with it */
    unsigned long long wild;   /* matchers with alternatives that can start with any character */
} MatcherSet;

static const char *SET_NAME = "training._fastmatch.MatcherSet";

static void set_free(MatcherSet *set) {
    Py_XDECREF(set->capsules);
    PyMem_Free(set->matchers);
    PyMem_Free(set->keys);
    PyMem_Free(set->masks);
    PyMem_Free(set);
}

static void set_capsule_free(PyObject *capsule) {
    set_free((MatcherSet *)PyCapsule_GetPointer(capsule, SET_NAME));
}

static int set_add_key(MatcherSet *set, Py_UCS4 key, unsigned long long bit) {
    size_t slot = key_slot(key, set->size);
    while (set->keys[slot] != NO_KEY && set->keys[slot] != key) {
        slot = (slot + 1) & (size_t)(set->size - 1);
    }
    set->keys[slot] = key;
    set->masks[slot] |= bit;
    filter_add(set->filter, key);
    return 0;
}

static PyObject *compile_set(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1 || !PyTuple_Check(args[0]) || PyTuple_GET_SIZE(args[0]) > 64) {
        PyErr_SetString(PyExc_TypeError, "compile_set(matchers): a tuple of at most 64 matchers");
        return NULL;
    }
    MatcherSet *set = PyMem_New(MatcherSet, 1);
    if (set == NULL) {
        return PyErr_NoMemory();
    }
    memset(set, 0, sizeof(*set));
    set->n = PyTuple_GET_SIZE(args[0]);
    set->matchers = PyMem_New(Matcher *, set->n + 1);
    if (set->matchers == NULL) {
        set_free(set);
        return PyErr_NoMemory();
    }
    Py_ssize_t n_keys = 0;
    for (Py_ssize_t i = 0; i < set->n; i++) {
        set->matchers[i] = get_matcher(PyTuple_GET_ITEM(args[0], i));
        if (set->matchers[i] == NULL) {
            set_free(set);
            return NULL;
        }
        n_keys += set->matchers[i]->size;
    }
    Py_INCREF(args[0]);
    set->capsules = args[0];
    set->size = 8;
    while (set->size < 2 * n_keys + 2) {
        set->size *= 2;
    }
    set->keys = PyMem_New(Py_UCS4, set->size);
    set->masks = PyMem_New(unsigned long long, set->size);
    if (set->keys == NULL || set->masks == NULL) {
        set_free(set);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t s = 0; s < set->size; s++) {
        set->keys[s] = NO_KEY;
        set->masks[s] = 0;
    }
    for (Py_ssize_t i = 0; i < set->n; i++) {
        const Matcher *m = set->matchers[i];
        unsigned long long bit = 1ull << i;
        if (m->wild_count > 0) {
            set->wild |= bit;
        }
        for (Py_ssize_t s = 0; s < m->size; s++) {
            if (m->keys[s] != NO_KEY) {
                set_add_key(set, m->keys[s], bit);
            }
        }
    }
    PyObject *capsule = PyCapsule_New(set, SET_NAME, set_capsule_free);
    if (capsule == NULL) {
        set_free(set);
    }
    return capsule;
}

typedef int (*OnMatch)(void *context, Py_ssize_t which, Py_ssize_t start, Py_ssize_t end);

/* Every match of every matcher of the set in the subject, as each matcher's own scan finds them,
 * handed to on_match in order of position. */
static int set_scan(const MatcherSet *set, const Subject *s, OnMatch on_match, void *context) {
    Py_ssize_t next[64];
    for (Py_ssize_t i = 0; i < set->n; i++) {
        next[i] = s->start; /* where matcher i may match next: after its last match */
    }
    for (Py_ssize_t pos = s->start; pos < s->end; pos++) {
        Py_UCS4 ch = PyUnicode_READ(s->kind, s->data, pos);
        unsigned long long mask = set->wild;
        if (filter_has(set->filter, ch)) {
            size_t slot = key_slot(ch, set->size);
            while (set->keys[slot] != NO_KEY && set->keys[slot] != ch) {
                slot = (slot + 1) & (size_t)(set->size - 1);
            }
            if (set->keys[slot] == ch) {
                mask |= set->masks[slot];
            }
        }
        for (Py_ssize_t i = 0; mask != 0; i++, mask >>= 1) {
            if (!(mask & 1) || pos < next[i]) {
                continue;
            }
            Py_ssize_t end = match_at(set->matchers[i], s, pos);
            if (end >= 0) {
                if (on_match(context, i, pos, end) < 0) {
                    return -1;
                }
                next[i] = end > pos ? end : pos + 1;
            }
        }
    }
    return 0;
}

static int collect_span(void *context, Py_ssize_t which, Py_ssize_t start, Py_ssize_t end) {
    return append_span(PyTuple_GET_ITEM((PyObject *)context, which), start, end);
}

static MatcherSet *get_set(PyObject *capsule) {
    return (MatcherSet *)PyCapsule_GetPointer(capsule, SET_NAME);
}

static PyObject *find_all_set(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Subject s;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "find_all_set(matchers, text)");
        return NULL;
    }
    MatcherSet *set = get_set(args[0]);
    if (set == NULL || as_subject(args[1], &s, "find_all_set(matchers, text)") < 0) {
        return NULL;
    }
    PyObject *result = PyTuple_New(set->n);
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < set->n; i++) {
        PyObject *list = PyList_New(0);
        if (list == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, i, list);
    }
    if (set_scan(set, &s, collect_span, result) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    return result;
}

/* ---- clauses and keyword cues (training/keywords.py) ---- */

enum { TENSE_PLAIN = 0, TENSE_PAST = 1, TENSE_CURRENT = 2, TENSE_FIRST = 3, TENSES = 4 };
static PyObject *tense_names[3]; /* "", "past", "current" */

static int has_non_space(const Subject *s, Py_ssize_t start, Py_ssize_t end) {
    for (Py_ssize_t i = start; i < end; i++) {
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(s->kind, s->data, i))) {
            return 1;
        }
    }
    return 0;
}

static int text_is(const Subject *s, Py_ssize_t start, Py_ssize_t end, PyObject *word) {
    if (PyUnicode_GET_LENGTH(word) != end - start) {
        return 0;
    }
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    for (Py_ssize_t i = 0; i < end - start; i++) {
        if (PyUnicode_READ(s->kind, s->data, start + i) != PyUnicode_READ(kind, data, i)) {
            return 0;
        }
    }
    return 1;
}

/* clause_spans(split, current, past, past_boundaries, text): keywords.clause_spans. */
static PyObject *clause_spans(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Subject s;
    if (nargs != 5 || !PyTuple_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError,
                        "clause_spans(split, current, past, past_boundaries, text): a tuple of str, then a str");
        return NULL;
    }
    Matcher *split = get_matcher(args[0]), *current = get_matcher(args[1]), *past = get_matcher(args[2]);
    if (split == NULL || current == NULL || past == NULL) {
        return NULL;
    }
    PyObject *boundaries = args[3];
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(boundaries); i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(boundaries, i))) {
            PyErr_SetString(PyExc_TypeError, "past_boundaries must hold str");
            return NULL;
        }
        if (PyUnicode_READY(PyTuple_GET_ITEM(boundaries, i)) < 0) {
            return NULL;
        }
    }
    if (as_subject(args[4], &s, "clause_spans(split, current, past, past_boundaries, text)") < 0) {
        return NULL;
    }
    PyObject *spans = PyList_New(0);
    if (spans == NULL) {
        return NULL;
    }
    Py_ssize_t start = 0, pos = 0;
    for (;;) {
        /* The next boundary, as the split pattern's scan finds it; none: the text's end. */
        Py_ssize_t boundary = -1, boundary_end = s.end;
        for (; pos < s.end; pos++) {
            Py_ssize_t end = match_at(split, &s, pos);
            if (end >= 0) {
                boundary = pos;
                boundary_end = end;
                break;
            }
        }
        Py_ssize_t end = boundary >= 0 ? boundary : s.end;
        if (has_non_space(&s, start, end)) {
            int tense = TENSE_PLAIN;
            int past_boundary = 0;
            for (Py_ssize_t i = 0; boundary >= 0 && !past_boundary && i < PyTuple_GET_SIZE(boundaries); i++) {
                past_boundary = text_is(&s, boundary, boundary_end, PyTuple_GET_ITEM(boundaries, i));
            }
            if (past_boundary) {
                tense = TENSE_PAST;
            } else if (search_range(current, &s, start, end)) {
                tense = TENSE_CURRENT;
            } else if (search_range(past, &s, start, end)) {
                tense = TENSE_PAST;
            }
            PyObject *span = Py_BuildValue("(nnO)", start, end, tense_names[tense]);
            if (span == NULL || PyList_Append(spans, span) < 0) {
                Py_XDECREF(span);
                Py_DECREF(spans);
                return NULL;
            }
            Py_DECREF(span);
        }
        if (boundary < 0) {
            break;
        }
        start = boundary_end;
        pos = boundary_end > boundary ? boundary_end : boundary + 1;
    }
    PyObject *result = PyList_AsTuple(spans);
    Py_DECREF(spans);
    return result;
}

typedef struct {
    const Subject *s;
    const Matcher *past_prefix;
    Py_ssize_t n_spans;
    const Py_ssize_t *starts, *ends;
    const int *tenses;
    int first_clause;
    const Py_ssize_t *table; /* role x TENSES -> column, or -1 */
    Py_ssize_t window;       /* how far before a keyword a past prefix is looked for */
    PyObject *columns;
} CueContext;

static int push_cue(PyObject *columns, Py_ssize_t column) {
    if (column < 0) {
        return 0;
    }
    PyObject *value = PyLong_FromSsize_t(column);
    int status = value == NULL ? -1 : PyList_Append(columns, value);
    Py_XDECREF(value);
    return status;
}

/* One keyword match: its cue by the tense of its clause (past after a past prefix: 元CTO), and a
 * first-clause cue when it stands in the first clause; as keywords.keyword_matches names them. */
static int on_cue(void *context, Py_ssize_t role, Py_ssize_t at, Py_ssize_t end) {
    const CueContext *c = (const CueContext *)context;
    /* The last clause starting at or before the match (bisect_right - 1). */
    Py_ssize_t lo = 0, hi = c->n_spans;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (c->starts[mid] <= at) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Py_ssize_t index = lo - 1, clause_start = at;
    int tense = TENSE_PLAIN;
    if (index >= 0 && at < c->ends[index]) {
        clause_start = c->starts[index];
        tense = c->tenses[index];
    }
    if (tense != TENSE_PAST && at > clause_start
            && search_range(c->past_prefix, c->s, at - c->window > clause_start ? at - c->window : clause_start, at)) {
        tense = TENSE_PAST;
    }
    if (push_cue(c->columns, c->table[role * TENSES + tense]) < 0) {
        return -1;
    }
    if (c->first_clause && index == 0 && at < c->ends[0]) {
        return push_cue(c->columns, c->table[role * TENSES + TENSE_FIRST]);
    }
    return 0;
}

/* cue_columns(roles, past_prefix, window, text, spans, first_clause, table) -> the cue block's
 * columns (with repeats) of the text: roles is the set of role patterns, past_prefix looked for in
 * the window characters before each keyword, spans what clause_spans gave (in order, within the
 * text), table per role its columns for the plain, past, current and first-clause cue (-1: none). */
static PyObject *cue_columns(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    static const char *usage = "cue_columns(roles, past_prefix, window, text, spans, first_clause, table)";
    Subject s;
    if (nargs != 7 || !PyTuple_Check(args[4]) || !PyTuple_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    MatcherSet *set = get_set(args[0]);
    Matcher *past_prefix = get_matcher(args[1]);
    if (set == NULL || past_prefix == NULL || as_subject(args[3], &s, usage) < 0) {
        return NULL;
    }
    Py_ssize_t window = PyLong_AsSsize_t(args[2]);
    if (window == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (window < 0) {
        PyErr_SetString(PyExc_ValueError, "the past-prefix window is not negative");
        return NULL;
    }
    if (PyTuple_GET_SIZE(args[6]) != set->n * TENSES) {
        PyErr_Format(PyExc_ValueError, "table needs %zd columns (%d per role)", set->n * TENSES, TENSES);
        return NULL;
    }
    int first_clause = PyObject_IsTrue(args[5]);
    if (first_clause < 0) {
        return NULL;
    }
    Py_ssize_t n_spans = PyTuple_GET_SIZE(args[4]);
    Py_ssize_t table[64 * TENSES];
    for (Py_ssize_t i = 0; i < set->n * TENSES; i++) {
        table[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(args[6], i));
        if (table[i] == -1 && PyErr_Occurred()) {
            return NULL;
        }
    }
    Py_ssize_t *bounds = PyMem_New(Py_ssize_t, 2 * n_spans + 2);
    int *tenses = PyMem_New(int, n_spans + 1);
    PyObject *columns = NULL;
    if (bounds == NULL || tenses == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_spans; i++) {
        PyObject *span = PyTuple_GET_ITEM(args[4], i);
        if (!PyTuple_Check(span) || PyTuple_GET_SIZE(span) != 3 || !PyUnicode_Check(PyTuple_GET_ITEM(span, 2))) {
            PyErr_SetString(PyExc_TypeError, "spans holds (start, end, tense) tuples");
            goto done;
        }
        bounds[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0));
        bounds[n_spans + i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1));
        if ((bounds[i] == -1 || bounds[n_spans + i] == -1) && PyErr_Occurred()) {
            goto done;
        }
        if (bounds[i] < (i > 0 ? bounds[i - 1] : 0) || bounds[n_spans + i] < bounds[i] || bounds[n_spans + i] > s.end) {
            PyErr_SetString(PyExc_ValueError, "spans must be in order, each within the text");
            goto done;
        }
        PyObject *tense = PyTuple_GET_ITEM(span, 2);
        tenses[i] = PyUnicode_GET_LENGTH(tense) == 0 ? TENSE_PLAIN
            : PyUnicode_CompareWithASCIIString(tense, "past") == 0 ? TENSE_PAST
            : PyUnicode_CompareWithASCIIString(tense, "current") == 0 ? TENSE_CURRENT : -1;
        if (tenses[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "a clause's tense is '', 'past' or 'current'");
            goto done;
        }
    }
    columns = PyList_New(0);
    if (columns == NULL) {
        goto done;
    }
    CueContext context = {&s, past_prefix, n_spans, bounds, bounds + n_spans, tenses, first_clause, table, window,
                          columns};
    if (set_scan(set, &s, on_cue, &context) < 0) {
        Py_CLEAR(columns);
    }
done:
    PyMem_Free(bounds);
    PyMem_Free(tenses);
    return columns;
}

static PyMethodDef methods[] = {
    {"compile", (PyCFunction)(void (*)(void))compile_matcher, METH_FASTCALL,
     "Compile a program from training.matcher (a capsule for find_all and search)."},
    {"find_all", (PyCFunction)(void (*)(void))find_all, METH_FASTCALL,
     "Flat start, end list of the matches in text, as re.finditer finds them."},
    {"search", (PyCFunction)(void (*)(void))search, METH_FASTCALL,
     "Whether the pattern matches anywhere in text[start:end], as re.search on that slice."},
    {"compile_set", (PyCFunction)(void (*)(void))compile_set, METH_FASTCALL,
     "Combine up to 64 matchers for find_all_set."},
    {"find_all_set", (PyCFunction)(void (*)(void))find_all_set, METH_FASTCALL,
     "Per matcher of the set, the flat start, end list of its matches in text (one pass for all)."},
    {"clause_spans", (PyCFunction)(void (*)(void))clause_spans, METH_FASTCALL,
     "(start, end, tense) of each clause of a normalised text, as training.keywords.clause_spans."},
    {"cue_columns", (PyCFunction)(void (*)(void))cue_columns, METH_FASTCALL,
     "The keyword cue block's columns (with repeats) of a normalised text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastmatch", "Compiled matching of training.matcher.", -1, methods,
};

#ifndef FASTMATCH_SOURCE_SHA256
#define FASTMATCH_SOURCE_SHA256 ""
#endif

PyMODINIT_FUNC PyInit__fastmatch(void) {
    tense_names[TENSE_PLAIN] = PyUnicode_InternFromString("");
    tense_names[TENSE_PAST] = PyUnicode_InternFromString("past");
    tense_names[TENSE_CURRENT] = PyUnicode_InternFromString("current");
    if (tense_names[0] == NULL || tense_names[1] == NULL || tense_names[2] == NULL) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "CAT_SPACE", CAT_SPACE) < 0
            || PyModule_AddIntConstant(m, "CAT_NOT_SPACE", CAT_NOT_SPACE) < 0
            || PyModule_AddIntConstant(m, "CAT_DIGIT", CAT_DIGIT) < 0
            || PyModule_AddIntConstant(m, "CAT_NOT_DIGIT", CAT_NOT_DIGIT) < 0
            || PyModule_AddIntConstant(m, "CAT_WORD", CAT_WORD) < 0
            || PyModule_AddIntConstant(m, "CAT_NOT_WORD", CAT_NOT_WORD) < 0
            || PyModule_AddStringConstant(m, "SOURCE_SHA256", FASTMATCH_SOURCE_SHA256) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
