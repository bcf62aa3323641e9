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
#include <string.h>

/* Raised with every change to a function's arguments or results; winnow/_native checks it, so a library built
 * from older sources is not used (the pure path runs instead). */
int winnow_extract_version(void) { return 1; }

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
#define FIND_LOOP(T, SUF)                                                                      \
    static inline int64_t find##SUF(const T *s, int64_t from, int64_t n, uint32_t ch) {        \
        for (int64_t i = from; i < n; i++)                                                     \
            if (s[i] == ch) return i;                                                          \
        return n;                                                                              \
    }
FIND_LOOP(uint16_t, 2)
FIND_LOOP(uint32_t, 4)

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
