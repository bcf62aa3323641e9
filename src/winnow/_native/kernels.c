/* winnow's compiled kernels, loaded with ctypes by winnow/_native/__init__.py (plain C: no Python.h).
 *
 * Each function here computes exactly what a pure-Python/numpy path in winnow computes, to the bit (the same
 * float operations in the same order), so a run gives the same output with or without this library; the tests
 * compare both paths (tests/test_native.py). Built by `make setup` (Makefile) with -ffp-contract=off: a fused
 * multiply-add would round differently from numpy's separate multiply and add.
 *
 * fastlid_*: the language step's input vector of a line (winnow/steps/_fastlid.py, FastLid._hidden and
 * _word_sums): fastText's word -> character n-gram hashing (FNV-1a over the UTF-8 bytes of "<word>", each byte
 * sign-extended), each distinct word's input rows summed in float64 in numpy's order (np.add.reduceat: the first
 * row, plus the pairwise sum of the rest), kept as float32 in a cache keyed by the word's bytes, and the line's
 * words weighted by their counts, summed in first-occurrence order as numpy's sum(axis=0) does (sequentially
 * from +0.0).
 *
 * ngram_*: gopher_repetition's n-gram statistics (winnow/steps/quality.py), integers only (see below).
 *
 * chunktab_*: the whitespace chunks of a page and their ids in gopher_repetition's chunk table; dup_pieces: its
 * duplicate lines and paragraphs; sent_steps: C4's sentencizer over a chunk's tokens (see below).
 *
 * spacy_tok_*: the spaCy-exact tokenizer on the new chunks of a small alphabet (see below). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Raised with every change to a function's arguments or results (2: the n-gram kernels added; 3: the chunk
 * table; 4: the tokenizer, spacy_tok_*; 5: spacy_tok_new takes its alphabet); winnow/_native checks it, so a library built from older sources is not
 * used (the pure path runs instead). */
int winnow_kernels_version(void) { return 5; }

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static uint64_t bytes_hash(const unsigned char *s, int64_t n) {
    /* the tables' own hash (FNV-1a, 64-bit, then mixed); not fastText's */
    uint64_t h = 1469598103934665603ull;
    for (int64_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

/* An open-addressing table of byte strings -> entry number (0, 1, ... in insertion order). A slot holds the high
 * 32 bits of the key's hash and its entry + 1 (0: empty), so a probe compares bytes only on a likely match. Keys
 * are copied into the table's arena, or (ext != NULL) are offsets into the caller's buffer ext. */
typedef struct {
    uint64_t *slots;
    int64_t cap;     /* power of two */
    int64_t n;
    int64_t *koff;   /* entry -> key offset in arena (or ext) */
    int32_t *klen;
    uint64_t *khash;
    int64_t ecap;
    unsigned char *arena;
    int64_t asize, acap;
    const unsigned char *ext;
} strtab;

static int tab_init(strtab *t, int64_t cap) {
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->slots = calloc((size_t)cap, sizeof(uint64_t));
    return t->slots ? 0 : -1;
}

static void tab_free(strtab *t) {
    free(t->slots);
    free(t->koff);
    free(t->klen);
    free(t->khash);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

#define TAG(h) ((h) & 0xFFFFFFFF00000000ull)

/* The slot of key (s, n) with hash h: holding its entry, or the empty slot where it would go. */
static int64_t tab_slot(const strtab *t, const unsigned char *s, int64_t n, uint64_t h) {
    int64_t mask = t->cap - 1, i = (int64_t)(h & (uint64_t)mask);
    const unsigned char *keys = t->ext ? t->ext : t->arena;
    for (;;) {
        uint64_t v = t->slots[i];
        if (!v) return i;
        if (TAG(v) == TAG(h)) {
            int64_t e = (int64_t)(v & 0xFFFFFFFFu) - 1;
            /* n == 0: the empty word, whose key may sit in a still unallocated arena (memcmp of NULL is UB) */
            if (t->klen[e] == n && (n == 0 || memcmp(keys + t->koff[e], s, (size_t)n) == 0)) return i;
        }
        i = (i + 1) & mask;
    }
}

/* The entry in a slot (from tab_slot), or -1 when the slot is empty. */
static inline int64_t tab_entry(const strtab *t, int64_t slot) {
    return (int64_t)(t->slots[slot] & 0xFFFFFFFFu) - 1;
}

static int tab_grow(strtab *t) {
    int64_t ncap = t->cap * 2, mask = ncap - 1;
    uint64_t *ns = calloc((size_t)ncap, sizeof(uint64_t));
    if (!ns) return -1;
    for (int64_t e = 0; e < t->n; e++) {
        uint64_t h = t->khash[e];
        int64_t i = (int64_t)(h & (uint64_t)mask);
        while (ns[i]) i = (i + 1) & mask;
        ns[i] = TAG(h) | (uint64_t)(e + 1);
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

/* Empty the table, its slots resized to cap. */
static int tab_clear(strtab *t, int64_t cap) {
    if (t->cap != cap) {
        free(t->slots);
        t->slots = calloc((size_t)cap, sizeof(uint64_t));
        t->cap = t->slots ? cap : 0;
        if (!t->slots) return -1;
    } else {
        memset(t->slots, 0, (size_t)cap * sizeof(uint64_t));
    }
    t->n = 0;
    t->asize = 0;
    return 0;
}

/* Add key (s, n) with hash h at `slot` (from tab_slot); its entry number, or -1 when out of memory or past the
 * table's bounds (the table is then unchanged). The slots grow before the key goes in, so the table is never
 * more than half full even where growing fails again and again (a full table would make tab_slot loop forever). */
static int64_t tab_add(strtab *t, int64_t slot, const unsigned char *s, int64_t n, uint64_t h) {
    /* klen is int32: a key of 2**31 bytes or more (one "word" of a 2 GiB line) would be cut to a negative length */
    if (t->n >= 0x7FFFFFFE || n > INT32_MAX) return -1;
    if (2 * (t->n + 1) > t->cap) {
        if (tab_grow(t) != 0) return -1;
        slot = tab_slot(t, s, n, h); /* the empty slot where the key goes in the grown table */
    }
    if (t->n == t->ecap) {
        int64_t ne = t->ecap ? 2 * t->ecap : 1024;
        int64_t *ko = realloc(t->koff, (size_t)ne * sizeof(int64_t));
        if (!ko) return -1;
        t->koff = ko;
        int32_t *kl = realloc(t->klen, (size_t)ne * sizeof(int32_t));
        if (!kl) return -1;
        t->klen = kl;
        uint64_t *kh = realloc(t->khash, (size_t)ne * sizeof(uint64_t));
        if (!kh) return -1;
        t->khash = kh;
        t->ecap = ne;
    }
    int64_t off;
    if (t->ext) {
        off = s - t->ext;
    } else {
        if (t->asize + n > t->acap) {
            int64_t na = t->acap ? 2 * t->acap : 65536;
            while (na < t->asize + n) na *= 2;
            unsigned char *a = realloc(t->arena, (size_t)na);
            if (!a) return -1;
            t->arena = a;
            t->acap = na;
        }
        if (n) memcpy(t->arena + t->asize, s, (size_t)n); /* the empty word: the arena may still be NULL */
        off = t->asize;
        t->asize += n;
    }
    int64_t e = t->n++;
    t->koff[e] = off;
    t->klen[e] = (int32_t)n;
    t->khash[e] = h;
    t->slots[slot] = TAG(h) | (uint64_t)(e + 1);
    return e;
}

typedef struct {
    const float *rows;        /* the model's input matrix, nrows x dim (owned by the caller) */
    int64_t nrows;
    int dim, minn, maxn;
    int64_t nwords, bucket;
    const int32_t *bucket_row; /* bucket -> row (-1: pruned); NULL: row nwords + bucket */
    /* bit b set: bucket b kept (bucket_row[b] >= 0). A .ftz keeps ~2% of its buckets: most n-grams of a new word
     * are answered from these bits (256 KB for lid.176's 2M buckets, which stay in the CPU cache) instead of a
     * cache miss into bucket_row (8 MB); 0.5 -> 0.3 CPU s of the language step's first pass over the e2e pages */
    uint64_t *kept_bits;
    strtab vocab;             /* dictionary words (type 0) -> their entry; vocab_id holds the row */
    int32_t *vocab_id;
    strtab cache;             /* word -> cached vector (vec, cnt) */
    float *vec;
    int64_t *cnt;
    int64_t vcap;
    int64_t max_words, max_bytes;
    /* scratch */
    int32_t *grams;           /* a word's n-gram rows (rows < 2**31: nwords + bucket) */
    int64_t gcap;
    unsigned char *wbuf;      /* "<" word ">" */
    int64_t wcap;
    double *pw;               /* pairwise_rows: 8 accumulator rows, then one row per level of its recursion */
    double *wsum;
    float *tmpvec;
    strtab line;              /* the line's distinct words */
    int64_t *mult;
    int64_t *wpos;            /* distinct word -> (offset, length) in the line */
    int64_t mcap;
} fastlid;

/* numpy's pairwise summation (pairwise_sum_DOUBLE: blocks of 128, eight accumulators, halves rounded to
 * multiples of 8) of each column d of the rows idx[0..n) cast to float64, into out[d], as np.add.reduceat calls it
 * on a segment's rows after the first: for each column the same additions in the same order as numpy's, the
 * columns side by side in one pass over the rows. acc: 8 * dim doubles; lvl: dim doubles per level of the
 * recursion (n > 128 is halved: fewer than 64 levels). */
static void pairwise_rows(const float *M, int dim, const int32_t *idx, int64_t n, double *out, double *acc,
                          double *lvl) {
    if (n < 8) {
        for (int d = 0; d < dim; d++) out[d] = -0.0;
        for (int64_t i = 0; i < n; i++) {
            const float *r = M + (int64_t)idx[i] * dim;
            for (int d = 0; d < dim; d++) out[d] += (double)r[d];
        }
        return;
    }
    if (n <= 128) {
        int64_t i;
        for (int j = 0; j < 8; j++) {
            const float *r = M + (int64_t)idx[j] * dim;
            double *a = acc + (int64_t)j * dim;
            for (int d = 0; d < dim; d++) a[d] = (double)r[d];
        }
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) {
                const float *r = M + (int64_t)idx[i + j] * dim;
                double *a = acc + (int64_t)j * dim;
                for (int d = 0; d < dim; d++) a[d] += (double)r[d];
            }
        const double *a0 = acc, *a1 = acc + dim, *a2 = acc + 2 * dim, *a3 = acc + 3 * dim, *a4 = acc + 4 * dim,
                     *a5 = acc + 5 * dim, *a6 = acc + 6 * dim, *a7 = acc + 7 * dim;
        for (int d = 0; d < dim; d++) out[d] = ((a0[d] + a1[d]) + (a2[d] + a3[d])) + ((a4[d] + a5[d]) + (a6[d] + a7[d]));
        for (; i < n; i++) {
            const float *r = M + (int64_t)idx[i] * dim;
            for (int d = 0; d < dim; d++) out[d] += (double)r[d];
        }
        return;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    pairwise_rows(M, dim, idx, n2, out, acc, lvl + dim);
    pairwise_rows(M, dim, idx + n2, n - n2, lvl, acc, lvl + dim);
    for (int d = 0; d < dim; d++) out[d] += lvl[d];
}

static int is_label(const unsigned char *w, int64_t n) {
    return n >= 9 && memcmp(w, "__label__", 9) == 0;
}

/* One word's row sum (float64, into f->wsum) and number of rows: what _word_sums computes for it. */
static int word_sum(fastlid *f, const unsigned char *w, int64_t n, int64_t *cnt_out) {
    int dim = f->dim;
    int64_t ng = 0, cnt = 0;
    for (int d = 0; d < dim; d++) f->wsum[d] = 0.0;
    int grams = f->maxn > 0 && n > 0 && !(n == 4 && memcmp(w, "</s>", 4) == 0) && !is_label(w, n);
    if (grams) {
        /* "<" word ">": at most 4 * (n + 2) n-grams of up to 4 characters; maxn per start character */
        int64_t len = n + 2, need = len * (f->maxn > 0 ? f->maxn : 1);
        if (need > f->gcap) {
            int32_t *g = realloc(f->grams, (size_t)need * sizeof(int32_t));
            if (!g) return -1;
            f->grams = g;
            f->gcap = need;
        }
        if (len > f->wcap) {
            unsigned char *b = realloc(f->wbuf, (size_t)len);
            if (!b) return -1;
            f->wbuf = b;
            f->wcap = len;
        }
        /* fastText's computeSubwords over "<" w ">" */
        f->wbuf[0] = '<';
        memcpy(f->wbuf + 1, w, (size_t)n);
        f->wbuf[len - 1] = '>';
#define BYTE(k) (f->wbuf[k])
        for (int64_t i = 0; i < len; i++) {
            if ((BYTE(i) & 0xC0) == 0x80) continue;
            uint32_t h = FNV_OFFSET;
            int64_t j = i;
            for (int nn = 1; j < len && nn <= f->maxn; nn++) {
                do {
                    h ^= (uint32_t)(int32_t)(int8_t)BYTE(j);
                    h *= FNV_PRIME;
                    j++;
                } while (j < len && (BYTE(j) & 0xC0) == 0x80);
                if (nn >= f->minn && !(nn == 1 && (i == 0 || j == len))) {
                    int64_t b = (int64_t)(h % (uint32_t)f->bucket);
                    int64_t row = !f->bucket_row ? f->nwords + b
                                  : (f->kept_bits[b >> 6] >> (b & 63)) & 1 ? (int64_t)f->bucket_row[b] : -1;
                    if (row >= 0) f->grams[ng++] = (int32_t)row;
                }
            }
        }
#undef BYTE
        if (ng > 0) {
            /* the first row, plus the pairwise sum of the rest (np.add.reduceat) */
            const float *r0 = f->rows + (int64_t)f->grams[0] * dim;
            if (ng > 1) {
                pairwise_rows(f->rows, dim, f->grams + 1, ng - 1, f->wsum, f->pw, f->pw + 8 * dim);
                for (int d = 0; d < dim; d++) f->wsum[d] = (double)r0[d] + f->wsum[d];
            } else {
                for (int d = 0; d < dim; d++) f->wsum[d] = (double)r0[d];
            }
        }
        cnt = ng;
    }
    int64_t e = tab_entry(&f->vocab, tab_slot(&f->vocab, w, n, bytes_hash(w, n)));
    if (e >= 0) {
        const float *r = f->rows + (int64_t)f->vocab_id[e] * dim;
        for (int d = 0; d < dim; d++) f->wsum[d] += (double)r[d];
        cnt += 1;
    }
    *cnt_out = cnt;
    return 0;
}

void fastlid_free(fastlid *f) {
    if (!f) return;
    tab_free(&f->vocab);
    tab_free(&f->cache);
    tab_free(&f->line);
    free(f->vocab_id);
    free(f->kept_bits);
    free(f->vec);
    free(f->cnt);
    free(f->grams);
    free(f->wbuf);
    free(f->pw);
    free(f->wsum);
    free(f->tmpvec);
    free(f->mult);
    free(f->wpos);
    free(f);
}

/* The model's tables (borrowed: the caller keeps rows and bucket_row alive) and its dictionary words, given as
 * one blob with offsets (nvocab + 1) and each word's input row. NULL when out of memory. */
fastlid *fastlid_new(const float *rows, int64_t nrows, int dim, int minn, int maxn, int64_t nwords, int64_t bucket,
                     const int32_t *bucket_row, const unsigned char *vocab_blob, const int64_t *vocab_off,
                     const int32_t *vocab_row, int64_t nvocab, int64_t max_words, int64_t max_bytes) {
    fastlid *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->rows = rows;
    f->nrows = nrows;
    f->dim = dim;
    f->minn = minn;
    f->maxn = maxn;
    f->nwords = nwords;
    f->bucket = bucket;
    f->bucket_row = bucket_row;
    if (bucket_row) {
        f->kept_bits = calloc((size_t)(bucket / 64 + 1), sizeof(uint64_t));
        if (!f->kept_bits) {
            fastlid_free(f);
            return NULL;
        }
        for (int64_t b = 0; b < bucket; b++)
            if (bucket_row[b] >= 0) f->kept_bits[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    f->max_words = max_words;
    f->max_bytes = max_bytes;
    int64_t cap = 1024;
    while (cap < 2 * nvocab + 2) cap *= 2;
    f->wsum = malloc((size_t)dim * sizeof(double));
    f->pw = malloc((size_t)(8 + 64) * (size_t)dim * sizeof(double));
    f->tmpvec = malloc((size_t)dim * sizeof(float));
    f->vocab_id = malloc((size_t)(nvocab > 0 ? nvocab : 1) * sizeof(int32_t));
    if (!f->wsum || !f->pw || !f->tmpvec || !f->vocab_id || tab_init(&f->vocab, cap) || tab_init(&f->cache, 1 << 16) ||
        tab_init(&f->line, 1024)) {
        fastlid_free(f);
        return NULL;
    }
    for (int64_t i = 0; i < nvocab; i++) {
        const unsigned char *s = vocab_blob + vocab_off[i];
        int64_t n = vocab_off[i + 1] - vocab_off[i];
        uint64_t h = bytes_hash(s, n);
        int64_t slot = tab_slot(&f->vocab, s, n, h);
        if (tab_entry(&f->vocab, slot) >= 0) { /* a repeated word keeps the last one's row, as the Python dict does */
            f->vocab_id[tab_entry(&f->vocab, slot)] = vocab_row[i];
            continue;
        }
        int64_t e = tab_add(&f->vocab, slot, s, n, h);
        if (e < 0) {
            fastlid_free(f);
            return NULL;
        }
        f->vocab_id[e] = vocab_row[i];
    }
    return f;
}

/* The number of words cached so far. */
int64_t fastlid_cached(const fastlid *f) { return f->cache.n; }

static int is_sep(unsigned char c) {
    /* " " and fastText's separators that the Python path turns into spaces (not "\n": the caller's) */
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\0';
}

/* The line's input vector sum (float64, dim values into total) and its number of rows (*nrows_out), for the
 * UTF-8 line (no "\n" expected); what FastLid._hidden computes from predict's words. 0, or -1 when out of
 * memory (the caller then takes the numpy path). */
static int hidden(fastlid *f, const unsigned char *s, int64_t len, double *total, int64_t *nrows_out) {
    int dim = f->dim;
    strtab *lt = &f->line;
    /* the line's distinct words in first-occurrence order with their counts; its table is emptied and sized for
     * this line (it grows as it fills), not kept at the largest line's size */
    int64_t want = 1024;
    while (want < len / 8) want *= 2; /* a slot per 8 bytes; it doubles when half full (web text: ~6 bytes a word) */
    if (tab_clear(lt, want) != 0) return -1;
    lt->ext = s;
    int64_t pos = 0;
    for (;;) {
        int64_t b = pos;
        while (b < len && !is_sep(s[b])) b++;
        const unsigned char *w = s + pos;
        int64_t n = b - pos;
        if (n == 4 && memcmp(w, "</s>", 4) == 0) break; /* fastText's getLine stops at the end-of-sentence word */
        uint64_t h = bytes_hash(w, n);
        int64_t slot = tab_slot(lt, w, n, h);
        int64_t e = tab_entry(lt, slot);
        if (e >= 0) {
            f->mult[e] += 1;
        } else {
            if (lt->n == f->mcap) {
                int64_t nm = f->mcap ? 2 * f->mcap : 4096;
                int64_t *m = realloc(f->mult, (size_t)nm * sizeof(int64_t));
                if (!m) return -1;
                f->mult = m;
                f->mcap = nm;
            }
            e = tab_add(lt, slot, w, n, h);
            if (e < 0) return -1;
            f->mult[e] = 1;
        }
        if (b >= len) break;
        pos = b + 1;
    }
    for (int d = 0; d < dim; d++) total[d] = 0.0;
    int64_t nrows = 0;
    /* the distinct words, then the appended "</s>" (the line's "\n"; never among them: reading stopped at one) */
    for (int64_t k = 0; k <= lt->n; k++) {
        const unsigned char *w;
        int64_t n, m;
        uint64_t h;
        if (k < lt->n) {
            w = s + lt->koff[k];
            n = lt->klen[k];
            h = lt->khash[k];
            m = f->mult[k];
        } else {
            w = (const unsigned char *)"</s>";
            n = 4;
            h = bytes_hash(w, 4);
            m = 1;
        }
        int64_t slot = tab_slot(&f->cache, w, n, h);
        int64_t e = tab_entry(&f->cache, slot);
        const float *v;
        int64_t c;
        if (e >= 0) {
            v = f->vec + e * dim;
            c = f->cnt[e];
        } else {
            if (word_sum(f, w, n, &c) != 0) return -1;
            for (int d = 0; d < dim; d++) f->tmpvec[d] = (float)f->wsum[d];
            v = f->tmpvec;
            if (f->cache.n < f->max_words && f->cache.asize + n <= f->max_bytes) {
                if (f->cache.n == f->vcap) {
                    int64_t nv = f->vcap ? 2 * f->vcap : 4096;
                    float *vv = realloc(f->vec, (size_t)nv * (size_t)dim * sizeof(float));
                    if (!vv) return -1;
                    f->vec = vv;
                    int64_t *cc = realloc(f->cnt, (size_t)nv * sizeof(int64_t));
                    if (!cc) return -1;
                    f->cnt = cc;
                    f->vcap = nv;
                }
                /* the vector first, the key last: a failed add leaves no key without its vector */
                memcpy(f->vec + f->cache.n * dim, f->tmpvec, (size_t)dim * sizeof(float));
                f->cnt[f->cache.n] = c;
                if (tab_add(&f->cache, slot, w, n, h) < 0) return -1;
            }
        }
        double md = (double)m;
        for (int d = 0; d < dim; d++) total[d] += (double)v[d] * md;
        nrows += c * m;
    }
    *nrows_out = nrows;
    return 0;
}

/* Scratch grown for one huge line or word is given back after it (the cache itself has its own bounds). */
#define SCRATCH_KEEP ((int64_t)1 << 20)

int fastlid_hidden(fastlid *f, const unsigned char *s, int64_t len, double *total, int64_t *nrows_out) {
    int rc = hidden(f, s, len, total, nrows_out);
    strtab *lt = &f->line;
    lt->ext = NULL;
    if (f->gcap > 4 * SCRATCH_KEEP) {
        free(f->grams);
        f->grams = NULL;
        f->gcap = 0;
        free(f->wbuf);
        f->wbuf = NULL;
        f->wcap = 0;
    }
    if (lt->ecap > SCRATCH_KEEP || lt->cap > 4 * SCRATCH_KEEP) {
        tab_free(lt); /* the next line's tab_clear allocates its slots again */
        free(f->mult);
        f->mult = NULL;
        f->mcap = 0;
    }
    return rc;
}

/* gopher_repetition (winnow/steps/quality.py): datatrove's n-gram statistics over a page's tokens, integers only.
 *
 * ngram_top: _top_ngram_chars for one n on token ids: the most frequent n-gram (the first to occur among equally
 * frequent ones, as Counter.most_common) and its characters, (sum of its tokens' lengths + n - 1) * count.
 * ngram_dup: _dup_ngram_chars for n = nmin..nmax: the n-grams compared as their tokens joined without spaces
 * (substrings of the joined text `codes` between token boundaries `offs`), walked in datatrove's order: a key seen
 * before adds its characters and skips the next n - 1 positions (which are not recorded as seen). */

typedef struct {
    uint64_t h;
    int64_t pos; /* first position (ngram_top) or start offset (ngram_dup); -1: empty */
    int64_t len; /* count (ngram_top) or length (ngram_dup) */
} gslot;

static gslot *gtab_new(int64_t cap) {
    gslot *t = malloc((size_t)cap * sizeof(gslot));
    if (!t) return NULL;
    for (int64_t i = 0; i < cap; i++) t[i].pos = -1;
    return t;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* -1 when out of memory (the caller then runs the numpy path). */
int64_t ngram_top(const int64_t *ids, int64_t m, int n, const int64_t *cum_len) {
    if (n <= 0 || m < n) return 0;
    int64_t k = m - n + 1, cap = 16;
    while (cap < 2 * k) cap *= 2;
    gslot *t = gtab_new(cap);
    if (!t) return -1;
    int64_t best_c = 0, best_p = 0;
    for (int64_t p = 0; p < k; p++) {
        uint64_t h = 0x9E3779B97F4A7C15ull;
        for (int j = 0; j < n; j++) h = mix64(h ^ (uint64_t)ids[p + j]) + (uint64_t)j;
        int64_t i = (int64_t)(h & (uint64_t)(cap - 1));
        for (;;) {
            if (t[i].pos < 0) {
                t[i].h = h;
                t[i].pos = p;
                t[i].len = 1;
                if (best_c < 1) {
                    best_c = 1;
                    best_p = p;
                }
                break;
            }
            if (t[i].h == h && memcmp(ids + t[i].pos, ids + p, (size_t)n * sizeof(int64_t)) == 0) {
                int64_t c = ++t[i].len;
                /* the most frequent; among equals, the one that occurred first */
                if (c > best_c || (c == best_c && t[i].pos < best_p)) {
                    best_c = c;
                    best_p = t[i].pos;
                }
                break;
            }
            i = (i + 1) & (cap - 1);
        }
    }
    free(t);
    return (cum_len[best_p + n] - cum_len[best_p] + n - 1) * best_c;
}

/* out[n - nmin] for n = nmin..nmax; 0, or -1 when out of memory. */
int ngram_dup(const uint32_t *codes, int64_t total, const int64_t *offs, int64_t m, int nmin, int nmax,
              int64_t *out) {
    for (int n = nmin; n <= nmax; n++) out[n - nmin] = 0;
    if (nmin <= 0 || m < nmin) return 0;
    /* polynomial prefix hashes of the joined text (mod 2**64): hash(s, e) = H[e] - H[s] * P[e - s] */
    uint64_t *H = malloc((size_t)(total + 1) * sizeof(uint64_t));
    uint64_t *P = malloc((size_t)(total + 1) * sizeof(uint64_t));
    int64_t k = m - nmin + 1, cap = 16;
    while (cap < 2 * k) cap *= 2;
    gslot *t = malloc((size_t)cap * sizeof(gslot));
    if (!H || !P || !t) {
        free(H);
        free(P);
        free(t);
        return -1;
    }
    const uint64_t B = 0x100000001B3ull * 2 + 1;
    H[0] = 0;
    P[0] = 1;
    for (int64_t i = 0; i < total; i++) {
        H[i + 1] = H[i] * B + (uint64_t)codes[i] + 1;
        P[i + 1] = P[i] * B;
    }
    for (int n = nmin; n <= nmax; n++) {
        if (m < n) break;
        for (int64_t i = 0; i < cap; i++) t[i].pos = -1;
        int64_t chars = 0, q = 0, kn = m - n + 1;
        while (q < kn) {
            int64_t s = offs[q], e = offs[q + n], len = e - s;
            uint64_t h = mix64(H[e] - H[s] * P[len]);
            int64_t i = (int64_t)(h & (uint64_t)(cap - 1));
            int seen = 0;
            for (;;) {
                if (t[i].pos < 0) break;
                if (t[i].h == h && t[i].len == len &&
                    memcmp(codes + t[i].pos, codes + s, (size_t)len * sizeof(uint32_t)) == 0) {
                    seen = 1;
                    break;
                }
                i = (i + 1) & (cap - 1);
            }
            if (seen) {
                chars += len;
                q += n;
            } else {
                t[i].h = h;
                t[i].pos = s;
                t[i].len = len;
                q += 1;
            }
        }
        out[n - nmin] = chars;
    }
    free(H);
    free(P);
    free(t);
    return 0;
}

/* gopher_repetition's chunk table (winnow/steps/quality.py: _Vocab, _chunk_cids, _chunk_bounds). A page's
 * whitespace chunks, split exactly as Python's str.split() splits (a code point is whitespace when Python's
 * str.isspace() says so: the caller passes that table for the code points below WS_TABLE, and none above it is
 * whitespace), each looked up in a table of the chunks seen before (code points compared exactly, lone
 * surrogates and NUL included) that gives chunk ids 0, 1, ... in the order chunks were first entered, as the pure
 * path's dict does (len(dict) at entry). Chunks longer than maxc are not entered (as in the pure path): the
 * page's distinct long chunks get ids just past the table, in first-occurrence order. The caller tokenizes only
 * the new chunks (`fresh`: the index of each new id's first occurrence, entered ones first, then long ones) and
 * resets the table (chunktab_free, chunktab_new) under the same bounds as the pure path's dict. */

#define WS_TABLE 0x3001

/* A slot of the chunk table: the high half of the key's hash, its id + 1 (0: empty), and where its code points
 * are in the arena; a lookup reads the slot, then the arena only on a likely match (one cache miss each). */
typedef struct {
    uint32_t tag, id1, off, len;
} cslot;

typedef struct {
    cslot *slots;
    int64_t cap, n;               /* cap: a power of two, at least twice n */
    uint32_t *arena;              /* the entered chunks' code points */
    int64_t asize, acap;
    unsigned char ws[WS_TABLE];   /* code point -> whitespace to Python's str.split() */
} chunktab;

typedef struct {
    uint64_t h;
    int64_t pos, len, id; /* pos -1: empty */
} lslot;

static uint64_t codes_hash_end(uint64_t h, int64_t n) { return mix64(h ^ (uint64_t)n); }

static uint64_t codes_hash(const uint32_t *s, int64_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int64_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001B3ull;
    return codes_hash_end(h, n);
}

chunktab *chunktab_new(const unsigned char *ws, int64_t nws) {
    if (nws != WS_TABLE) return NULL;
    chunktab *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cap = (int64_t)1 << 16;
    t->slots = calloc((size_t)t->cap, sizeof(cslot));
    if (!t->slots) {
        free(t);
        return NULL;
    }
    memcpy(t->ws, ws, WS_TABLE);
    return t;
}

void chunktab_free(chunktab *t) {
    if (!t) return;
    free(t->slots);
    free(t->arena);
    free(t);
}

int64_t chunktab_size(const chunktab *t) { return t->n; }

/* code points held by the table's keys */
int64_t chunktab_chars(const chunktab *t) { return t->asize; }

static int ctab_grow(chunktab *t) {
    int64_t ncap = t->cap * 2, mask = ncap - 1;
    cslot *ns = calloc((size_t)ncap, sizeof(cslot));
    if (!ns) return -1;
    for (int64_t k = 0; k < t->cap; k++) {
        cslot e = t->slots[k];
        if (!e.id1) continue;
        int64_t i = (int64_t)(codes_hash(t->arena + e.off, e.len) & (uint64_t)mask);
        while (ns[i].id1) i = (i + 1) & mask;
        ns[i] = e;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

/* The id of chunk key[0..len) with hash h, entered with the next id when absent (*added set to 1); -1 when out
 * of memory or past the table's 32-bit offsets (the table is then unchanged). */
static int64_t ctab_get(chunktab *t, const uint32_t *key, int64_t len, uint64_t h, int *added) {
    int64_t mask = t->cap - 1, i = (int64_t)(h & (uint64_t)mask);
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        cslot *q = t->slots + i;
        if (!q->id1) break;
        if (q->tag == tag && q->len == (uint32_t)len &&
            memcmp(t->arena + q->off, key, (size_t)len * sizeof(uint32_t)) == 0)
            return (int64_t)q->id1 - 1;
        i = (i + 1) & mask;
    }
    if (t->asize + len > (int64_t)UINT32_MAX || t->n >= (int64_t)UINT32_MAX - 1) return -1;
    if (t->asize + len > t->acap) {
        int64_t na = t->acap ? 2 * t->acap : 65536;
        while (na < t->asize + len) na *= 2;
        uint32_t *a = realloc(t->arena, (size_t)na * sizeof(uint32_t));
        if (!a) return -1;
        t->arena = a;
        t->acap = na;
    }
    memcpy(t->arena + t->asize, key, (size_t)len * sizeof(uint32_t));
    cslot *q = t->slots + i;
    q->tag = tag;
    q->len = (uint32_t)len;
    q->off = (uint32_t)t->asize;
    q->id1 = (uint32_t)(t->n + 1);
    t->asize += len;
    int64_t e = t->n++;
    *added = 1;
    if (2 * t->n > t->cap && ctab_grow(t) != 0) return -1; /* entered, but the caller discards the table */
    return e;
}

static int lgrow(lslot **lt, int64_t *lcap) {
    int64_t ncap = *lcap ? 2 * *lcap : 64, mask = ncap - 1;
    lslot *ns = malloc((size_t)ncap * sizeof(lslot));
    if (!ns) return -1;
    for (int64_t i = 0; i < ncap; i++) ns[i].pos = -1;
    for (int64_t k = 0; k < *lcap; k++) {
        if ((*lt)[k].pos < 0) continue;
        int64_t i = (int64_t)((*lt)[k].h & (uint64_t)mask);
        while (ns[i].pos >= 0) i = (i + 1) & mask;
        ns[i] = (*lt)[k];
    }
    free(*lt);
    *lt = ns;
    *lcap = ncap;
    return 0;
}

/* Split codes[0..n) into chunks: cids[k] (the k-th chunk's id), starts[k] and ends[k] (its code points' range),
 * one_space[k] (1 when exactly one U+0020 separates it from the chunk before), for k < the returned count; joined
 * (when not NULL, room for n) gets the chunks' code points concatenated. New entries: fresh[0..counts[0]) and the
 * distinct long chunks fresh[counts[0]..counts[0] + counts[1]) (chunk indices of first occurrences, in id order).
 * Every output array has room for cap >= (n + 1) / 2 entries. -1 when out of memory (the table may then hold some
 * of the page's chunks: the caller discards it). */
int64_t chunktab_split(chunktab *t, const uint32_t *codes, int64_t n, int64_t maxc, int64_t cap, int64_t *cids,
                       int64_t *starts, int64_t *ends, unsigned char *one_space, int64_t *fresh, int64_t *counts,
                       uint32_t *joined) {
    const unsigned char *ws = t->ws;
    int64_t m = 0, nnew = 0, nlong = 0, i = 0, prev_end = -1, jn = 0, lcap = 0;
    lslot *lt = NULL;
    counts[0] = counts[1] = 0;
    if (maxc < 0 || maxc > 1 << 20 || cap < (n + 1) / 2) return -1;
#define IS_WS(c) ((c) < WS_TABLE && ws[c])
    for (;;) {
        while (i < n && IS_WS(codes[i])) i++;
        if (i >= n) break;
        int64_t s = i;
        uint64_t h = 0x9E3779B97F4A7C15ull; /* codes_hash, computed while scanning */
        while (i < n && !IS_WS(codes[i])) {
            h = (h ^ codes[i]) * 0x100000001B3ull;
            i++;
        }
        int64_t len = i - s;
        h = codes_hash_end(h, len);
        const uint32_t *key = codes + s;
        starts[m] = s;
        ends[m] = i;
        one_space[m] = (unsigned char)(m > 0 && s - prev_end == 1 && codes[prev_end] == 32);
        prev_end = i;
        if (joined) {
            memcpy(joined + jn, key, (size_t)len * sizeof(uint32_t));
            jn += len;
        }
        if (len <= maxc) {
            int added = 0;
            int64_t e = ctab_get(t, key, len, h, &added);
            if (e < 0) goto oom;
            if (added) fresh[nnew++] = m;
            cids[m] = e;
        } else {
            if (2 * (nlong + 1) > lcap && lgrow(&lt, &lcap) != 0) goto oom;
            int64_t mask = lcap - 1, j = (int64_t)(h & (uint64_t)mask);
            for (;;) {
                lslot *q = lt + j;
                if (q->pos < 0) {
                    q->h = h;
                    q->pos = s;
                    q->len = len;
                    q->id = nlong;
                    fresh[cap - 1 - nlong] = m; /* moved after the entered ones at the end */
                    cids[m] = -1 - nlong;
                    nlong++;
                    break;
                }
                if (q->h == h && q->len == len && memcmp(codes + q->pos, key, (size_t)len * sizeof(uint32_t)) == 0) {
                    cids[m] = -1 - q->id;
                    break;
                }
                j = (j + 1) & mask;
            }
        }
        m++;
    }
#undef IS_WS
    if (nlong) {
        int64_t base = t->n;
        for (int64_t k = 0; k < m; k++)
            if (cids[k] < 0) cids[k] = base + (-1 - cids[k]);
        /* the long ones were written backwards from the end: put them in order, then after the entered ones */
        for (int64_t a = cap - nlong, b = cap - 1; a < b; a++, b--) {
            int64_t x = fresh[a];
            fresh[a] = fresh[b];
            fresh[b] = x;
        }
        memmove(fresh + nnew, fresh + cap - nlong, (size_t)nlong * sizeof(int64_t));
    }
    free(lt);
    counts[0] = nnew;
    counts[1] = nlong;
    return m;
oom:
    free(lt);
    return -1;
}

/* C4's sentence walk (winnow/steps/quality.py, _c4_sentences): spaCy's sentencizer over each chunk's tokens
 * (SpacyEnglish.sentencizer_steps in winnow/steps/_tokenize.py), entered with "a sentence mark seen" false and
 * true, from two facts of each token held in the token table's flags: pc_bit (the token is one of the
 * sentencizer's punctuation characters) and punct_bit (every character of it is Unicode punctuation). out[k] for
 * chunk cs[k] (its tokens flat[cstart[c] .. cstart[c] + ccount[c])): s0 | s1 << 24 | e0 << 48 | e1 << 49 (new
 * starts and the state after, entering false, then true), or -2 when a count reaches 2**23. */
void sent_steps(const int64_t *flat, const int64_t *cstart, const int64_t *ccount, const int8_t *tflags, int pc_bit,
                int punct_bit, const int64_t *cs, int64_t k, int64_t *out) {
    for (int64_t q = 0; q < k; q++) {
        int64_t c = cs[q], a = cstart[c], b = a + ccount[c];
        int64_t st[2], en[2];
        for (int enter = 0; enter < 2; enter++) {
            int seen = enter;
            int64_t starts = 0;
            for (int64_t p = a; p < b; p++) {
                int f = tflags[flat[p]];
                int in_pc = (f & pc_bit) != 0;
                if (seen && !in_pc && !(f & punct_bit)) {
                    starts++;
                    seen = 0;
                } else if (in_pc) {
                    seen = 1;
                }
            }
            st[enter] = starts;
            en[enter] = seen;
        }
        out[q] = (st[0] < ((int64_t)1 << 23) && st[1] < ((int64_t)1 << 23))
                     ? st[0] | st[1] << 24 | en[0] << 48 | en[1] << 49
                     : -2;
    }
}

/* gopher_repetition's duplicate lines and paragraphs (winnow/steps/quality.py, _dup_count_chars over
 * re.split("\n+", text) and over re.split("\n{2,}", text.strip())): the text is cut at every run of at least
 * min_run newlines (after stripping Python's whitespace from both ends when strip is set, the table of
 * chunktab_new), and each piece that equals an earlier one (code points compared exactly) is counted with its
 * length. out: pieces, duplicates, duplicated code points. 0, or -1 when out of memory. */
int dup_pieces(const chunktab *t, const uint32_t *codes, int64_t n, int min_run, int strip, int64_t *out) {
    const unsigned char *ws = t->ws;
    int64_t a = 0, b = n;
    out[0] = out[1] = out[2] = 0;
    if (min_run < 1) return -1;
    if (strip) {
        while (a < b && codes[a] < WS_TABLE && ws[codes[a]]) a++;
        while (b > a && codes[b - 1] < WS_TABLE && ws[codes[b - 1]]) b--;
    }
    int64_t npieces = 1; /* counted first: the table is sized for them, not for the text */
    for (int64_t k = a; k < b;) {
        if (codes[k] != '\n') {
            k++;
            continue;
        }
        int64_t r = k;
        while (r < b && codes[r] == '\n') r++;
        if (r - k >= min_run) npieces++;
        k = r;
    }
    int64_t cap = 64;
    while (cap < 2 * npieces) cap *= 2;
    lslot *tab = malloc((size_t)cap * sizeof(lslot));
    if (!tab) return -1;
    for (int64_t i = 0; i < cap; i++) tab[i].pos = -1;
    int64_t pieces = 0, dups = 0, chars = 0, start = a, i = a;
    for (;;) {
        int64_t end = b, next = b;
        while (i < b) {
            if (codes[i] == '\n') {
                int64_t r = i;
                while (r < b && codes[r] == '\n') r++;
                if (r - i >= min_run) {
                    end = i;
                    next = r;
                    i = r;
                    break;
                }
                i = r;
            } else {
                i++;
            }
        }
        int64_t len = end - start;
        uint64_t h = codes_hash(codes + start, len);
        int64_t j = (int64_t)(h & (uint64_t)(cap - 1));
        for (;;) {
            lslot *q = tab + j;
            if (q->pos < 0) {
                q->h = h;
                q->pos = start;
                q->len = len;
                break;
            }
            if (q->h == h && q->len == len &&
                memcmp(codes + q->pos, codes + start, (size_t)len * sizeof(uint32_t)) == 0) {
                dups++;
                chars += len;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
        pieces++;
        if (end == b) break;
        start = next;
    }
    free(tab);
    out[0] = pieces;
    out[1] = dups;
    out[2] = chars;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * spacy_tok_*: the spaCy-exact English tokenizer (winnow/steps/_tokenize.py, SpacyEnglish.chunk) on the chunks
 * made of a small alphabet (printable ASCII, Latin-1, the common quotes and dashes: _tokenize._ALPHABET), or a
 * "not decided here" that sends the chunk to the Python tokenizer.
 *
 * The rules are the Python tables' own, restricted to the alphabet by _tokenize.compiled_rules() (records
 * below): each alternative of the prefix, suffix and infix patterns becomes one record per string of the
 * alphabet it matches (a literal with its look-behind and look-ahead character classes, or a run of dots); the
 * rest cannot match a chunk of the alphabet. The special cases and the orths of the special cases that the
 * affix rules split (the ones spaCy's post-pass merges back) come as records too. The loop is SpacyEnglish's:
 * strip one prefix (the first rule that matches at the front, in table order) and one suffix (the one starting
 * leftmost: every suffix rule ends at the end) per round until nothing changes, then split the core at the infixes
 * (Python's finditer: leftmost, first rule in table order, non-overlapping; one at the core's start never splits).
 * Lookbehinds see only the string being searched, as in the Python path (it searches copies).
 * A chunk is handed back (0 tokens) where any special case could take part (the chunk, a core or a stripped rest
 * is one; or a token starts where the orth of a split special case starts, so the merge might apply), where the
 * core holds a '.' (only such a core can be a URL, and the dot infixes need it), or where the chunk holds anything
 * but the alphabet or is longer than SPT_MAXLEN. */

#define SPT_MAXLEN 256
#define SPT_NONE 255
enum { SPT_SPECIAL = 1, SPT_PORTH, SPT_PRE_LIT, SPT_PRE_DOTS, SPT_SUF_LIT, SPT_SUF_DOTS, SPT_INF_LIT };

typedef struct {
    uint8_t type, c1, c2, len; /* c1, c2: class numbers (SPT_NONE: none); see spacy_tok_new */
    unsigned char s[16];
} sptrule;

typedef struct {
    uint32_t cls[256];   /* a character's code -> bit k set when it is in class k */
    uint8_t code[0x10000]; /* a code point of the BMP -> its code (0: not in the alphabet) */
    sptrule *pre, *suf, *inf;
    int npre, nsuf, ninf;
    /* the rules by the code they start with (prefixes, infixes) or end with (suffixes), each list in table order:
     * rules of another code cannot match there, so the first (or leftmost) match is the same as in the table */
    int *pre_by, *suf_by, *inf_by;
    int pre_at[257], suf_at[257], inf_at[257];
    /* the special cases and split orths: an open-addressing set of byte strings (lengths 1..255) */
    unsigned char *arena;
    int64_t asize;
    uint32_t *slots; /* offset + 1 into arena of a key stored as [kind][len][bytes]; 0: empty */
    int64_t scap;
    int spmax, pomax; /* the longest special case, the longest split orth */
} spacytok;

static uint64_t spt_hash(const unsigned char *s, int64_t n, int kind) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (int64_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return mix64(h ^ (uint64_t)n);
}

/* The stored key (s, n) of this kind, or NULL. */
static const unsigned char *spt_find(const spacytok *t, int kind, const unsigned char *s, int64_t n) {
    if (n <= 0 || n > 255) return NULL;
    int64_t mask = t->scap - 1, i = (int64_t)(spt_hash(s, n, kind) & (uint64_t)mask);
    for (;;) {
        uint32_t v = t->slots[i];
        if (!v) return NULL;
        const unsigned char *k = t->arena + (v - 1);
        if (k[0] == kind && k[1] == n && memcmp(k + 2, s, (size_t)n) == 0) return k;
        i = (i + 1) & mask;
    }
}

static int spt_has(const spacytok *t, int kind, const unsigned char *s, int64_t n) {
    return spt_find(t, kind, s, n) != NULL;
}

void spacy_tok_free(spacytok *t) {
    if (!t) return;
    free(t->pre);
    free(t->suf);
    free(t->inf);
    free(t->pre_by);
    free(t->suf_by);
    free(t->inf_by);
    free(t->arena);
    free(t->slots);
    free(t);
}

/* by[at[b]:at[b + 1]]: the rules whose first (last, if by_last) code is b, in their order (a run of dots: '.') */
static int spt_index(const sptrule *r, int n, int by_last, int **by, int *at) {
    int cnt[257] = {0};
    *by = malloc(((size_t)n + 1) * sizeof(int));
    if (!*by) return -1;
    for (int k = 0; k < n; k++) cnt[r[k].s[by_last ? r[k].len - 1 : 0]]++;
    at[0] = 0;
    for (int b = 0; b < 256; b++) at[b + 1] = at[b] + cnt[b];
    int fill[256];
    memcpy(fill, at, sizeof fill);
    for (int k = 0; k < n; k++) (*by)[fill[r[k].s[by_last ? r[k].len - 1 : 0]]++] = k;
    return 0;
}

/* The characters it decides on, each a one-byte code: printable ASCII (its own code) and the nextra code points
 * extra[] (BMP, above ASCII: the codes 0x80, 0x81, ...). cls: 256 uint32 class masks by code (bit k: in class
 * k). Strings in the records are codes. rules: records of 4 + len bytes, [type, c1,
 * c2, len, bytes...]: SPT_SPECIAL (a special case, 1..255 bytes), SPT_PORTH (a split special case: its orth, then
 * the lengths of its c1 tokens, one byte each),
 * SPT_PRE_LIT (a prefix literal, 1..16 bytes, c2: a class that must not follow it), SPT_PRE_DOTS (a run of two or
 * more '.'), SPT_SUF_LIT (a suffix literal, 1..16 bytes, c2: the class of the character just before it, c1: of the
 * one before that), SPT_SUF_DOTS, SPT_INF_LIT (an infix literal, c1: the class before it, c2: after it). Records
 * of one kind are kept in their order. NULL on a malformed record or no memory. */
spacytok *spacy_tok_new(const uint32_t *cls, const uint32_t *extra, int64_t nextra, const unsigned char *rules,
                        int64_t nrules) {
    if (nextra < 0 || nextra > 128) return NULL;
    spacytok *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    memcpy(t->cls, cls, sizeof t->cls);
    for (int c = 0x21; c < 0x7F; c++) t->code[c] = (uint8_t)c;
    for (int64_t k = 0; k < nextra; k++) {
        if (extra[k] < 0x80 || extra[k] > 0xFFFF || t->code[extra[k]]) goto bad;
        t->code[extra[k]] = (uint8_t)(0x80 + k);
    }
    int64_t nrec = 0, nset = 0;
    for (int64_t p = 0; p < nrules; nrec++) {
        if (nrules - p < 4 || nrules - p - 4 < rules[p + 3] || rules[p + 3] == 0) goto bad;
        uint8_t ty = rules[p], c1 = rules[p + 1], c2 = rules[p + 2], len = rules[p + 3];
        if (ty < SPT_SPECIAL || ty > SPT_INF_LIT) goto bad;
        if (ty == SPT_PORTH) { /* c1 tokens, their lengths after the orth: each >= 1, summing to the orth's */
            int sum = 0;
            if (c1 < 1 || c1 >= len) goto bad;
            for (int x = len - c1; x < len; x++) sum += rules[p + 4 + x] ? rules[p + 4 + x] : 1000;
            if (sum != len - c1) goto bad;
        } else if ((c1 != SPT_NONE && c1 >= 32) || (c2 != SPT_NONE && c2 >= 32)) {
            goto bad;
        }
        if (ty == SPT_SPECIAL || ty == SPT_PORTH) nset++;
        else if (len > 16) goto bad;
        p += 4 + len;
    }
    t->pre = calloc((size_t)nrec + 1, sizeof(sptrule));
    t->suf = calloc((size_t)nrec + 1, sizeof(sptrule));
    t->inf = calloc((size_t)nrec + 1, sizeof(sptrule));
    t->scap = 16;
    while (t->scap < 2 * nset + 2) t->scap *= 2;
    t->slots = calloc((size_t)t->scap, sizeof(uint32_t));
    t->arena = malloc((size_t)nrules + 1);
    if (!t->pre || !t->suf || !t->inf || !t->slots || !t->arena || nrules > (int64_t)UINT32_MAX - 2) goto bad;
    for (int64_t p = 0; p < nrules;) {
        uint8_t ty = rules[p], len = rules[p + 3];
        const unsigned char *s = rules + p + 4;
        if (ty == SPT_SPECIAL || ty == SPT_PORTH) {
            /* the key: [kind][length][bytes], for a split orth followed by [tokens][their lengths] */
            int kind = ty, klen = ty == SPT_PORTH ? len - rules[p + 1] : len;
            if (!spt_find(t, kind, s, klen)) {
                int64_t mask = t->scap - 1, i = (int64_t)(spt_hash(s, klen, kind) & (uint64_t)mask);
                while (t->slots[i]) i = (i + 1) & mask;
                t->slots[i] = (uint32_t)(t->asize + 1);
                t->arena[t->asize] = (unsigned char)kind;
                t->arena[t->asize + 1] = (unsigned char)klen;
                memcpy(t->arena + t->asize + 2, s, (size_t)klen);
                t->asize += 2 + klen;
                if (ty == SPT_PORTH) {
                    t->arena[t->asize] = rules[p + 1];
                    memcpy(t->arena + t->asize + 1, s + klen, rules[p + 1]);
                    t->asize += 1 + rules[p + 1];
                }
            }
            if (ty == SPT_SPECIAL && klen > t->spmax) t->spmax = klen;
            if (ty == SPT_PORTH && klen > t->pomax) t->pomax = klen;
        } else {
            sptrule *r = ty == SPT_PRE_LIT || ty == SPT_PRE_DOTS ? &t->pre[t->npre++]
                       : ty == SPT_INF_LIT ? &t->inf[t->ninf++] : &t->suf[t->nsuf++];
            r->type = ty;
            r->c1 = rules[p + 1];
            r->c2 = rules[p + 2];
            r->len = len;
            memcpy(r->s, s, len);
        }
        p += 4 + len;
    }
    if (spt_index(t->pre, t->npre, 0, &t->pre_by, t->pre_at) || spt_index(t->suf, t->nsuf, 1, &t->suf_by, t->suf_at) ||
        spt_index(t->inf, t->ninf, 0, &t->inf_by, t->inf_at))
        goto bad;
    return t;
bad:
    spacy_tok_free(t);
    return NULL;
}

static inline int spt_in(const spacytok *t, unsigned char ch, uint8_t c) {
    return c == SPT_NONE || (t->cls[ch] >> c) & 1u;
}

/* The prefix's length at s[i:j] (0: none): the first rule, in table order, that matches at i. */
static int spt_prefix(const spacytok *t, const unsigned char *s, int i, int j) {
    if (i >= j) return 0;
    for (int q = t->pre_at[s[i]]; q < t->pre_at[s[i] + 1]; q++) {
        const sptrule *r = &t->pre[t->pre_by[q]];
        if (r->type == SPT_PRE_DOTS) {
            int e = i;
            while (e < j && s[e] == '.') e++;
            if (e - i >= 2) return e - i;
            continue;
        }
        if (j - i < r->len || memcmp(s + i, r->s, r->len) != 0) continue;
        /* a negative look-ahead: the character after the literal must not be in class c2 (none at the end) */
        if (r->c2 != SPT_NONE && i + r->len < j && spt_in(t, s[i + r->len], r->c2)) continue;
        return r->len;
    }
    return 0;
}

/* The suffix's length at s[i:j] (0: none): every rule ends at j, so the match that starts leftmost (Python's
 * search) decides; its look-behind sees s[i:] only. */
static int spt_suffix(const spacytok *t, const unsigned char *s, int i, int j) {
    int best = j;
    if (i >= j) return 0;
    for (int q = t->suf_at[s[j - 1]]; q < t->suf_at[s[j - 1] + 1]; q++) {
        const sptrule *r = &t->suf[t->suf_by[q]];
        if (r->type == SPT_SUF_DOTS) {
            int b = j;
            while (b > i && s[b - 1] == '.') b--;
            if (j - b >= 2 && b < best) best = b;
            continue;
        }
        int p = j - r->len;
        if (p < i || p >= best || memcmp(s + p, r->s, r->len) != 0) continue;
        if (r->c2 != SPT_NONE && (p - 1 < i || !spt_in(t, s[p - 1], r->c2))) continue;
        if (r->c1 != SPT_NONE && (p - 2 < i || !spt_in(t, s[p - 2], r->c1))) continue;
        best = p;
    }
    return j - best;
}

/* Token boundaries of s[0:n] (codes, 1 <= n <= SPT_MAXLEN) into cut[] (cut[0] = 0, ..., the last = n);
 * the number of tokens, or 0: not decided here. */
static int spt_chunk(const spacytok *t, const unsigned char *s, int n, int16_t *cut) {
    int pre[SPT_MAXLEN + 1], suf[SPT_MAXLEN + 1], np = 0, ns = 0;
    int i = 0, j = n, last = -1;
    while (i < j && j - i != last) {
        if (j - i <= t->spmax && spt_has(t, SPT_SPECIAL, s + i, j - i)) return 0;
        last = j - i;
        int pl = spt_prefix(t, s, i, j);
        if (pl && j - i - pl > 0 && spt_has(t, SPT_SPECIAL, s + i + pl, j - i - pl)) return 0;
        int sl = spt_suffix(t, s, i + pl, j);
        if (sl && j - i - sl > 0 && spt_has(t, SPT_SPECIAL, s + i, j - i - sl)) return 0;
        if (pl) {
            i += pl;
            pre[np++] = i;
        }
        if (sl) { /* searched after the prefix: the two never overlap */
            j -= sl;
            suf[ns++] = j;
        }
    }
    int nc = 0;
    cut[nc++] = 0;
    for (int k = 0; k < np; k++) cut[nc++] = (int16_t)pre[k];
    if (i < j) {
        if (spt_has(t, SPT_SPECIAL, s + i, j - i) || memchr(s + i, '.', (size_t)(j - i))) return 0;
        int start = i;
        for (int p = i; p < j;) {
            int hit = 0;
            for (int q = t->inf_at[s[p]]; q < t->inf_at[s[p] + 1] && !hit; q++) {
                const sptrule *r = &t->inf[t->inf_by[q]];
                if (j - p < r->len || memcmp(s + p, r->s, r->len) != 0) continue;
                if (r->c1 != SPT_NONE && (p - 1 < i || !spt_in(t, s[p - 1], r->c1))) continue;
                if (r->c2 != SPT_NONE && (p + r->len >= j || !spt_in(t, s[p + r->len], r->c2))) continue;
                hit = r->len;
            }
            if (!hit) {
                p++;
                continue;
            }
            if (p != i) { /* an infix at the core's start never splits */
                if (p != start) cut[nc++] = (int16_t)p;
                cut[nc++] = (int16_t)(p + hit);
                start = p + hit;
            }
            p += hit;
        }
        if (start < j && cut[nc - 1] != j) cut[nc++] = (int16_t)j;
    }
    for (int k = ns - 1; k >= 0; k--)
        if (cut[nc - 1] != suf[k]) cut[nc++] = (int16_t)suf[k];
    if (cut[nc - 1] != n) cut[nc++] = (int16_t)n;
    /* spaCy's post-pass merges a run of tokens equal to a split special case's tokens: hand back any chunk where
     * one such run starts at a token (the orth spelled from there, and the tokens' ends at the pattern's ends) */
    for (int k = 0; k < nc - 1; k++) {
        for (int len = 1; len <= t->pomax && cut[k] + len <= n; len++) {
            const unsigned char *key = spt_find(t, SPT_PORTH, s + cut[k], len);
            if (!key) continue;
            const unsigned char *lens = key + 2 + len;
            int at = cut[k], x = k, same = 1;
            for (int q = 0; q < lens[0] && same; q++) {
                at += lens[1 + q];
                while (x < nc - 1 && cut[x] < at) x++;
                same = cut[x] == at;
            }
            if (same) return 0;
        }
    }
    return nc - 1;
}

/* The tokens of k chunks codes[starts[q]:ends[q]] (of a buffer of n code points): ntok[q] their number (0: not
 * decided here), and for the decided ones their token boundaries (absolute positions in codes, each token from
 * one to the next, each chunk's list closed by its end) appended to bounds, at most cap entries. Returns the
 * number of entries written, or -1 (bad bounds, or cap too small: nothing to trust). */
int64_t spacy_tok_chunks(const spacytok *t, const uint32_t *codes, int64_t n, const int64_t *starts,
                         const int64_t *ends, int64_t k, int32_t *ntok, int64_t *bounds, int64_t cap) {
    unsigned char s[SPT_MAXLEN];
    int16_t cut[SPT_MAXLEN + 2];
    int64_t w = 0;
    for (int64_t q = 0; q < k; q++) {
        int64_t a = starts[q], b = ends[q];
        if (a < 0 || b > n || a > b) return -1;
        ntok[q] = 0;
        int64_t len = b - a;
        if (len < 1 || len > SPT_MAXLEN) continue;
        int ok = 1;
        for (int64_t x = 0; x < len; x++) {
            uint32_t c = codes[a + x];
            if (c > 0xFFFF || !t->code[c]) {
                ok = 0;
                break;
            }
            s[x] = t->code[c];
        }
        if (!ok) continue;
        int m = spt_chunk(t, s, (int)len, cut);
        if (!m) continue;
        if (cap - w < m + 1) return -1;
        for (int x = 0; x <= m; x++) bounds[w++] = a + cut[x];
        ntok[q] = m;
    }
    return w;
}
