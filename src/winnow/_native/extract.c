/* html_extract's compiled kernels (winnow/steps/extract.py), loaded with ctypes by winnow/_native/__init__.py
 * (extract_kernels); plain C, no Python.h. Built by `make setup` into _extract.so beside this file. Each function
 * here answers exactly what a pure-Python path answers, or says it cannot tell and lets that path decide, so the
 * extracted text never depends on whether this library is there (tests/test_native_extract.py compares the two).
 *
 * attrs_ok: the prefilter of cap_attributes. The Python scan (_scanner in extract.py) is a regex that walks a
 * page as the HTML tokenizer splits it and stops at the first tag with `limit` or more attributes; a page it walks
 * to the end comes back unchanged (every real page). This walks the page's code units (the str's own buffer: 1, 2
 * or 4 bytes a character, as CPython stores it; or UTF-8 bytes) with the same grammar, token for token, and returns
 * 1 only where the regex would match the whole page; 0 where it would stop, and also where it might (a tag name or
 * raw-text end tag holding a non-ASCII character, which Python's case-insensitive match could fold onto an ASCII
 * letter: U+017F matches 's', U+0130/U+0131 'i'). On 0 the regex runs as before. The grammar's classes are all
 * ASCII (or negated ASCII), so a non-ASCII character, whatever its width, falls in exactly the classes each of its
 * units falls in. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Raised with every change to a function's arguments or results; winnow/_native checks it, so a library built
 * from older sources is not used (the pure path runs instead). 2: blocks_parse; 3: blocks_match. */
int winnow_extract_version(void) { return 3; }

/* [\t\n\f\r /] : what separates attributes; [\t\n\f\r ] : the spaces around '=' */
static inline int is_sep(uint32_t c) { return c == ' ' || c == '/' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
static inline int is_ws(uint32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
static inline int is_alpha(uint32_t c) { return c < 0x80 && (uint32_t)((c | 0x20) - 'a') < 26; }

static const char *const RAW[] = {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"};

static inline int64_t find1(const uint8_t *s, int64_t from, int64_t n, uint32_t ch) {
    if (from >= n) return n;
    const uint8_t *f = memchr(s + from, (int)ch, (size_t)(n - from));
    return f ? (int64_t)(f - s) : n;
}
/* 2-byte units (pages with a character above U+00FF, e.g. a curly quote: most of them): four at a time, a lane
 * equal to ch found with the has-zero-lane test on x ^ ch (SWAR), then the exact one by one. */
#define LANES16 0x0001000100010001ull
#define HIGH16 0x8000800080008000ull
static inline int zero_lane16(uint64_t x) { return ((x - LANES16) & ~x & HIGH16) != 0; }

static inline int64_t find2(const uint16_t *s, int64_t from, int64_t n, uint32_t ch) {
    int64_t i = from;
    uint64_t pat = LANES16 * (uint64_t)(ch & 0xffff);
    for (; i + 4 <= n; i += 4) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (zero_lane16(x ^ pat)) break;
    }
    for (; i < n; i++)
        if (s[i] == ch) return i;
    return n;
}

/* the first UTF-16 surrogate unit (0xD800-0xDFFF) at or after from, or n */
static inline int64_t find_surrogate2(const uint16_t *s, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (zero_lane16((x & 0xf800f800f800f800ull) ^ 0xd800d800d800d800ull)) break;
    }
    for (; i < n; i++)
        if (s[i] >= 0xd800 && s[i] <= 0xdfff) return i;
    return n;
}

static inline int64_t find4(const uint32_t *s, int64_t from, int64_t n, uint32_t ch) {
    for (int64_t i = from; i < n; i++)
        if (s[i] == ch) return i;
    return n;
}

/* One scanner per code-unit width (T, SUF): name_at, tag_end and the walk. */
#define SCANNER(T, SUF)                                                                                             \
/* s[p..) equals the lower-case ASCII `name` of length L case-insensitively: 1 yes, 0 no, -1 cannot tell (a      \
 * non-ASCII unit where every earlier one matched: Python's (?i) might fold it onto the letter). */                \
static int name_at##SUF(const T *s, int64_t n, int64_t p, const char *name, int64_t L) {                           \
    for (int64_t i = 0; i < L; i++) {                                                                               \
        if (p + i >= n) return 0;                                                                                   \
        uint32_t c = s[p + i];                                                                                      \
        if (c >= 0x80) return -1;                                                                                   \
        if ((c | 0x20) != (uint32_t)name[i] || !is_alpha(c)) return 0;                                             \
    }                                                                                                               \
    return 1;                                                                                                       \
}                                                                                                                   \
                                                                                                                    \
/* The regex's `end` from q (just after a tag's name): up to limit-1 attributes, separators, then '>' or the end. \
 * Returns the position after it, or -1 where the limit-th attribute starts (the regex stops there). */           \
static int64_t tag_end##SUF(const T *s, int64_t n, int64_t q, int limit) {                                          \
    int count = 0;                                                                                                  \
    for (;;) {                                                                                                      \
        while (q < n && is_sep(s[q])) q++;                                                                          \
        if (q >= n) return n;                                                                                       \
        if (s[q] == '>') return q + 1;                                                                              \
        if (count == limit - 1) return -1;                                                                          \
        count++;                                                                                                    \
        q++; /* the name's first character: anything but a separator or '>' ('=' included) */                     \
        while (q < n && !is_sep(s[q]) && s[q] != '>' && s[q] != '=') q++;                                           \
        int64_t r = q;                                                                                              \
        while (r < n && is_ws(s[r])) r++;                                                                           \
        if (r < n && s[r] == '=') {                                                                                 \
            r++;                                                                                                    \
            while (r < n && is_ws(s[r])) r++;                                                                       \
            if (r < n && (s[r] == '"' || s[r] == '\'')) {                                                           \
                int64_t e = find##SUF(s, r + 1, n, s[r]);                                                           \
                r = e < n ? e + 1 : n;                                                                              \
            } else {                                                                                                \
                while (r < n && !is_ws(s[r]) && s[r] != '>') r++;                                                   \
            }                                                                                                       \
            q = r;                                                                                                  \
        } /* else: no value; the spaces are the next attribute's separators */                                     \
    }                                                                                                               \
}                                                                                                                   \
                                                                                                                    \
static int attrs_ok##SUF(const T *s, int64_t n, int limit) {                                                        \
    int64_t pos = 0;                                                                                                \
    while (pos < n) {                                                                                               \
        if (s[pos] != '<') {                                                                                        \
            pos = find##SUF(s, pos, n, '<');                                                                        \
            if (pos >= n) return 1;                                                                                 \
        }                                                                                                           \
        int64_t p = pos + 1;                                                                                        \
        if (p >= n) return 1; /* a lone '<' at the end */                                                           \
        uint32_t c = s[p];                                                                                          \
        if (c == '!' && p + 2 < n && s[p + 1] == '-' && s[p + 2] == '-') {                                          \
            /* !--(?:-?>|[\s\S]*?(?:--!?>|\Z)) */                                                                   \
            int64_t q = p + 3;                                                                                      \
            if (q < n && s[q] == '>') { pos = q + 1; continue; }                                                    \
            if (q + 1 < n && s[q] == '-' && s[q + 1] == '>') { pos = q + 2; continue; }                             \
            pos = n;                                                                                                \
            for (int64_t r = find##SUF(s, q, n, '-'); r + 2 < n; r = find##SUF(s, r + 1, n, '-')) {                \
                if (s[r + 1] != '-') continue;                                                                      \
                if (s[r + 2] == '>') { pos = r + 3; break; }                                                        \
                if (s[r + 2] == '!' && r + 3 < n && s[r + 3] == '>') { pos = r + 4; break; }                        \
            }                                                                                                       \
            continue;                                                                                               \
        }                                                                                                           \
        if (c == '!' || c == '?' || (c == '/' && !(p + 1 < n && is_alpha(s[p + 1])))) {                            \
            /* [!?][^>]*+>?  and  /(?![A-Za-z])[^>]*+>? */                                                          \
            int64_t gt = find##SUF(s, p + 1, n, '>');                                                               \
            pos = gt < n ? gt + 1 : n;                                                                              \
            continue;                                                                                               \
        }                                                                                                           \
        if (c == 's' || c == 'S' || c == 't' || c == 'T' || c == 'x' || c == 'X' || c == 'i' || c == 'I' ||         \
            c == 'n' || c == 'N') {                                                                                 \
            /* raw-text elements: the name, a separator, the tag's end, then all up to </name + separator */        \
            int matched = 0;                                                                                        \
            for (int k = 0; k < 8 && !matched; k++) {                                                               \
                int64_t L = (int64_t)strlen(RAW[k]);                                                                \
                int m = name_at##SUF(s, n, p, RAW[k], L);                                                           \
                if (m < 0) return 0;                                                                                \
                if (m == 0 || p + L >= n || (!is_sep(s[p + L]) && s[p + L] != '>')) continue;                      \
                int64_t q = tag_end##SUF(s, n, p + L, limit);                                                       \
                if (q < 0) return 0;                                                                                \
                matched = 1;                                                                                        \
                for (;;) {                                                                                          \
                    q = find##SUF(s, q, n, '<');                                                                    \
                    if (q >= n) break;                                                                              \
                    if (q + 1 < n && s[q + 1] == '/') {                                                             \
                        int e = name_at##SUF(s, n, q + 2, RAW[k], L);                                               \
                        if (e < 0) return 0;                                                                        \
                        if (e == 1 && q + 2 + L < n && (is_sep(s[q + 2 + L]) || s[q + 2 + L] == '>')) break;        \
                    }                                                                                               \
                    q++;                                                                                            \
                }                                                                                                   \
                pos = q;                                                                                            \
            }                                                                                                       \
            if (matched) continue;                                                                                  \
        }                                                                                                           \
        if (is_alpha(c) || c == '/') {                                                                              \
            /* /?[A-Za-z][^\t\n\f\r />]*+ then the attributes (a '/' here is followed by a letter, see above) */   \
            int64_t q = p + (c == '/') + 1;                                                                         \
            while (q < n && !is_sep(s[q]) && s[q] != '>') q++;                                                      \
            q = tag_end##SUF(s, n, q, limit);                                                                       \
            if (q < 0) return 0;                                                                                    \
            pos = q;                                                                                                \
            continue;                                                                                               \
        }                                                                                                           \
        pos = p; /* '<' before anything else: text */                                                               \
    }                                                                                                               \
    return 1;                                                                                                       \
}

SCANNER(uint8_t, 1)
SCANNER(uint16_t, 2)
SCANNER(uint32_t, 4)

/* 1: the scan walks all of s (n code units of `kind` bytes each: 1 for UTF-8 or Latin-1, 2, 4); 0: it stops at a
 * tag with `limit` or more attributes, or this cannot tell. */
int attrs_ok(const void *s, int64_t n, int kind, int limit) {
    if (kind == 1) return attrs_ok1((const uint8_t *)s, n, limit);
    if (kind == 2) return attrs_ok2((const uint16_t *)s, n, limit);
    if (kind == 4) return attrs_ok4((const uint32_t *)s, n, limit);
    return 0;
}

/* ---- blocks_parse: parse_blocks (extract.py) on a Resiliparse minimal-HTML rendering ----------------------------
 *
 * The pure path, line by line: "<br>" with the newline after it becomes a space; the rendering is split on "\n";
 * each non-empty line is stripped (Python's str.strip: Unicode whitespace), its kind read from its first three
 * characters ("<p>", "<li", "<h1".."<h6"), its link characters counted (each <a\b[^>]*>([^<]*)</a>, the group's
 * stripped length), its tags removed (<[^>]*>), its entities unescaped (html.unescape), then stripped again unless
 * it holds "\t\t" (a table row). Here the same, into `out` (code units of the input's width) and five int32 per
 * block in `meta` (kind, heading level, link characters, start and end of the text in out). Returns the number of
 * blocks, or -1 where the pure path must decide: a <pre> (stashed and re-inserted there), a \x02 (its stash mark),
 * an '&' that is not one of the four entities Resiliparse writes (&amp; &lt; &gt; &quot;; html.unescape knows
 * 2,231 more), a non-ASCII character right after "<a" (\b would need Unicode's \w), a UTF-16 surrogate unit, or
 * more blocks than `cap`. */

enum { K_P = 0, K_H = 1, K_LI = 2, K_PRE = 3, K_ROW = 4, K_TEXT = 5 };

static inline int py_space(uint32_t c) {
    /* str.isspace(), which str.strip() strips (checked against Python for every code point in the tests) */
    if (c < 0x80) return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20);
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

int py_isspace(uint32_t c) { return py_space(c); }

static inline int is_word_ascii(uint32_t c) { return is_alpha(c) || (c >= '0' && c <= '9') || c == '_'; }

#define BLOCKS(T, SUF)                                                                                              \
static int64_t stripped_len##SUF(const T *s, int64_t a, int64_t b) {                                                \
    while (a < b && py_space(s[a])) a++;                                                                            \
    while (b > a && py_space(s[b - 1])) b--;                                                                        \
    return b - a;                                                                                                   \
}                                                                                                                   \
                                                                                                                    \
/* one line s[a..b) (stripped already, not empty): its block into out/meta, or 0 for none, -1 undecidable */       \
static int one_line##SUF(const T *s, int64_t a, int64_t b, T *out, int64_t *used, int32_t *meta) {                  \
    int kind = K_TEXT, level = 0;                                                                                   \
    int64_t link = 0, len = b - a;                                                                                  \
    if (s[a] == '<' && len >= 3) {                                                                                  \
        uint32_t c1 = s[a + 1], c2 = s[a + 2];                                                                      \
        if (c1 == 'p' && c2 == '>') kind = K_P;                                                                     \
        else if (c1 == 'l' && c2 == 'i') kind = K_LI;                                                               \
        else if (c1 == 'h' && c2 >= '1' && c2 <= '6') { kind = K_H; level = (int)(c2 - '0'); }                     \
    }                                                                                                               \
    int has_lt = find##SUF(s, a, b, '<') < b, has_amp = find##SUF(s, a, b, '&') < b;                               \
    if (has_lt) {                                                                                                   \
        /* links: <a\b[^>]*>([^<]*)</a>, non-overlapping, left to right */                                          \
        for (int64_t i = a; i + 1 < b;) {                                                                           \
            if (!(s[i] == '<' && s[i + 1] == 'a')) { i++; continue; }                                               \
            if (i + 2 < b) {                                                                                        \
                uint32_t c = s[i + 2];                                                                              \
                if (c >= 0x80) return -1;                                                                           \
                if (is_word_ascii(c)) { i++; continue; }                                                            \
            }                                                                                                       \
            int64_t gt = i + 2;                                                                                     \
            while (gt < b && s[gt] != '>') gt++;                                                                    \
            if (gt >= b) { i++; continue; }                                                                         \
            int64_t lt = gt + 1;                                                                                    \
            while (lt < b && s[lt] != '<') lt++;                                                                    \
            if (!(lt + 3 < b && s[lt + 1] == '/' && s[lt + 2] == 'a' && s[lt + 3] == '>')) { i++; continue; }       \
            link += stripped_len##SUF(s, gt + 1, lt);                                                               \
            i = lt + 4;                                                                                             \
        }                                                                                                           \
    }                                                                                                               \
    /* tags out (<[^>]*>), entities unescaped, into out */                                                          \
    int64_t start = *used, o = start;                                                                               \
    for (int64_t i = a; i < b;) {                                                                                   \
        int64_t lt = has_lt ? find##SUF(s, i, b, '<') : b;                                                          \
        memcpy(out + o, s + i, (size_t)(lt - i) * sizeof(T));                                                       \
        o += lt - i;                                                                                                \
        i = lt;                                                                                                     \
        if (i >= b) break;                                                                                          \
        int64_t j = find##SUF(s, i + 1, b, '>');                                                                    \
        if (j < b) { i = j + 1; continue; }                                                                         \
        has_lt = 0; /* no '>' after this '<': no tag from here on, the rest is copied as it is */                   \
    }                                                                                                               \
    if (has_amp) {                                                                                                  \
        int64_t w = start;                                                                                          \
        for (int64_t i = start; i < o;) {                                                                           \
            if (out[i] != '&') { out[w++] = out[i++]; continue; }                                                   \
            int64_t left = o - i;                                                                                   \
            if (left >= 5 && out[i + 1] == 'a' && out[i + 2] == 'm' && out[i + 3] == 'p' && out[i + 4] == ';') {    \
                out[w++] = '&'; i += 5;                                                                             \
            } else if (left >= 4 && out[i + 1] == 'l' && out[i + 2] == 't' && out[i + 3] == ';') {                  \
                out[w++] = '<'; i += 4;                                                                             \
            } else if (left >= 4 && out[i + 1] == 'g' && out[i + 2] == 't' && out[i + 3] == ';') {                  \
                out[w++] = '>'; i += 4;                                                                             \
            } else if (left >= 6 && out[i + 1] == 'q' && out[i + 2] == 'u' && out[i + 3] == 'o' &&                  \
                       out[i + 4] == 't' && out[i + 5] == ';') {                                                    \
                out[w++] = '"'; i += 6;                                                                             \
            } else {                                                                                                \
                return -1;                                                                                          \
            }                                                                                                       \
        }                                                                                                           \
        o = w;                                                                                                      \
    }                                                                                                               \
    int row = 0;                                                                                                    \
    for (int64_t i = start; i + 1 < o; i++)                                                                         \
        if (out[i] == '\t' && out[i + 1] == '\t') { row = 1; break; }                                               \
    int64_t ta = start, tb = o;                                                                                     \
    if (row) kind = K_ROW;                                                                                          \
    else {                                                                                                          \
        while (ta < tb && py_space(out[ta])) ta++;                                                                  \
        while (tb > ta && py_space(out[tb - 1])) tb--;                                                              \
    }                                                                                                               \
    if (tb == ta) return 0;                                                                                         \
    if (kind == K_H && tb - ta > 200) { kind = K_P; level = 0; } /* _LONG_HEADING */                                \
    meta[0] = kind; meta[1] = level; meta[2] = (int32_t)(link < tb - ta ? link : tb - ta);                          \
    meta[3] = (int32_t)ta; meta[4] = (int32_t)tb;                                                                   \
    *used = o;                                                                                                      \
    return 1;                                                                                                       \
}                                                                                                                   \
                                                                                                                    \
static int64_t blocks##SUF(const T *src, int64_t n, T *out, int32_t *meta, int64_t cap) {                           \
    /* "<br>" and one newline right after it: a space (lines are joined there), into work = out's second half */   \
    T *work = out + n;                                                                                              \
    int64_t m = 0;                                                                                                  \
    if (find##SUF(src, 0, n, 2) < n) return -1;                                                                     \
    if (sizeof(T) == 2 && find_surrogate2((const uint16_t *)src, n) < n) return -1;                                 \
    if (sizeof(T) == 4)                                                                                             \
        for (int64_t i = 0; i < n; i++)                                                                             \
            if (src[i] >= 0xd800 && src[i] <= 0xdfff) return -1;                                                    \
    for (int64_t i = 0; i < n;) {                                                                                   \
        int64_t lt = find##SUF(src, i, n, '<');                                                                     \
        memcpy(work + m, src + i, (size_t)(lt - i) * sizeof(T));                                                    \
        m += lt - i;                                                                                                \
        i = lt;                                                                                                     \
        if (i >= n) break;                                                                                          \
        uint32_t c = src[i];                                                                                        \
        if (c == '<' && i + 3 < n && src[i + 1] == 'b' && src[i + 2] == 'r' && src[i + 3] == '>') {                \
            work[m++] = ' ';                                                                                        \
            i += 4;                                                                                                 \
            if (i < n && src[i] == '\n') i++;                                                                       \
            continue;                                                                                               \
        }                                                                                                           \
        if (c == '<' && i + 4 < n && src[i + 1] == 'p' && src[i + 2] == 'r' && src[i + 3] == 'e' &&                 \
            src[i + 4] == '>') return -1;                                                                           \
        work[m++] = (T)c;                                                                                           \
        i++;                                                                                                        \
    }                                                                                                               \
    int64_t used = 0, nb = 0;                                                                                       \
    for (int64_t a = 0; a < m;) {                                                                                   \
        int64_t b = find##SUF(work, a, m, '\n');                                                                     \
        int64_t la = a, lb = b;                                                                                     \
        while (la < lb && py_space(work[la])) la++;                                                                 \
        while (lb > la && py_space(work[lb - 1])) lb--;                                                             \
        if (lb > la) {                                                                                              \
            if (nb >= cap) return -1;                                                                               \
            int r = one_line##SUF(work, la, lb, out, &used, meta + 5 * nb);                                         \
            if (r < 0) return -1;                                                                                   \
            nb += r;                                                                                                \
        }                                                                                                           \
        a = b + 1;                                                                                                  \
    }                                                                                                               \
    return nb;                                                                                                      \
}

BLOCKS(uint8_t, 1)
BLOCKS(uint16_t, 2)
BLOCKS(uint32_t, 4)

/* `out` holds 2 * n units of the input's width (the first half the blocks' texts, the second scratch). */
int64_t blocks_parse(const void *s, int64_t n, int kind, void *out, int32_t *meta, int64_t cap) {
    if (n > 0x3fffffff) return -1; /* offsets are int32 */
    if (kind == 1) return blocks1((const uint8_t *)s, n, (uint8_t *)out, meta, cap);
    if (kind == 2) return blocks2((const uint16_t *)s, n, (uint16_t *)out, meta, cap);
    if (kind == 4) return blocks4((const uint32_t *)s, n, (uint32_t *)out, meta, cap);
    return -1;
}

/* ---- blocks_match: extract_combined's main-content marks and _prose, on two blocks_parse results --------------
 *
 * The pure path keys each block by " ".join(text[:300].split())[:200] (str.split: runs of Unicode whitespace),
 * counts the main-content rendering's keys, and marks, in order, each whole-page block whose key still has a count
 * (taking one). Here the same, with the keys in a hash table (compared unit for unit on a hash match), and each
 * whole-page block's _prose (long, link-poor, sentence-like) as well: flags[i] bit 0 in_main, bit 1 prose.
 * Returns 0, or -1 where memory ran out (the pure path then decides). */

static inline uint32_t unit_at(const void *s, int kind, int64_t i) {
    if (kind == 1) return ((const uint8_t *)s)[i];
    if (kind == 2) return ((const uint16_t *)s)[i];
    return ((const uint32_t *)s)[i];
}

#define KEY_HEAD 300
#define KEY_LEN 200

static int key_of(const void *s, int kind, int64_t a, int64_t b, uint32_t *key) {
    int64_t lim = b - a > KEY_HEAD ? a + KEY_HEAD : b;
    int k = 0, in_word = 0;
    for (int64_t i = a; i < lim && k < KEY_LEN; i++) {
        uint32_t c = unit_at(s, kind, i);
        if (py_space(c)) { in_word = 0; continue; }
        if (!in_word && k > 0) {
            key[k++] = ' ';
            if (k == KEY_LEN) break;
        }
        key[k++] = c;
        in_word = 1;
    }
    return k;
}

static uint64_t key_hash(const uint32_t *key, int k) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < k; i++) { h ^= key[i]; h *= 1099511628211ull; }
    return h ^ (h >> 31);
}

static int sentence_end(uint32_t c) {
    /* _SENTENCE_END's class: . ! ? … : ; " ' » « “ ” ) ] 。 ！ ？ */
    return c == '.' || c == '!' || c == '?' || c == 0x2026 || c == ':' || c == ';' || c == '"' || c == '\'' ||
           c == 0xbb || c == 0xab || c == 0x201c || c == 0x201d || c == ')' || c == ']' || c == 0x3002 ||
           c == 0xff01 || c == 0xff1f;
}

static int prose_of(const void *s, int kind, const int32_t *m) {
    int64_t a = m[3], b = m[4], n = b - a;
    if (m[0] == K_H || m[0] == K_ROW || n < 60) return 0;
    double ld = (double)m[2] / (double)n;
    if (ld > 0.35) return 0;
    int64_t words = 1;
    for (int64_t i = a; i < b; i++) words += unit_at(s, kind, i) == ' ';
    int cjk = n > 30 && (double)words < (double)n / 12.0;
    if (!(words >= 10 || cjk)) return 0;
    if (n >= 150) return 1;
    int64_t e = b;
    while (e > a && py_space(unit_at(s, kind, e - 1))) e--;
    if (e > a && sentence_end(unit_at(s, kind, e - 1))) return 1;
    return ld < 0.05;
}

typedef struct { uint64_t hash; int64_t block; int64_t count; int used; } key_slot;

int blocks_match(const void *fs, int fkind, const int32_t *fm, int64_t fnb, const void *ms, int mkind,
                 const int32_t *mm, int64_t mnb, uint8_t *flags) {
    int64_t cap = 16;
    while (cap < 2 * mnb) cap <<= 1;
    key_slot *tab = calloc((size_t)cap, sizeof *tab);
    if (!tab) return -1;
    uint32_t key[KEY_LEN], other[KEY_LEN];
    for (int64_t j = 0; j < mnb; j++) {
        int k = key_of(ms, mkind, mm[5 * j + 3], mm[5 * j + 4], key);
        uint64_t h = key_hash(key, k);
        for (int64_t p = (int64_t)(h & (uint64_t)(cap - 1));; p = (p + 1) & (cap - 1)) {
            key_slot *e = &tab[p];
            if (!e->used) { e->used = 1; e->hash = h; e->block = j; e->count = 1; break; }
            if (e->hash == h) {
                int k2 = key_of(ms, mkind, mm[5 * e->block + 3], mm[5 * e->block + 4], other);
                if (k2 == k && memcmp(key, other, (size_t)k * sizeof *key) == 0) { e->count++; break; }
            }
        }
    }
    for (int64_t i = 0; i < fnb; i++) {
        const int32_t *m = fm + 5 * i;
        uint8_t f = (uint8_t)(prose_of(fs, fkind, m) << 1);
        if (mnb) {
            int k = key_of(fs, fkind, m[3], m[4], key);
            uint64_t h = key_hash(key, k);
            for (int64_t p = (int64_t)(h & (uint64_t)(cap - 1));; p = (p + 1) & (cap - 1)) {
                key_slot *e = &tab[p];
                if (!e->used) break; /* not there */
                if (e->hash != h) continue;
                int k2 = key_of(ms, mkind, mm[5 * e->block + 3], mm[5 * e->block + 4], other);
                if (k2 == k && memcmp(key, other, (size_t)k * sizeof *key) == 0) {
                    if (e->count > 0) { e->count--; f |= 1; }
                    break;
                }
            }
        }
        flags[i] = f;
    }
    free(tab);
    return 0;
}
