/*
 * Normalisation pipelines. The input is cut into ASCII runs, copied byte-wise (an SSE2 or
 * 8-bytes-at-a-time span check, then memcpy), and non-ASCII chunks, which go through utf8proc.
 *
 * Chunking is exact, not an approximation of whole-string normalisation: a chunk ends only
 * before a code point that no step can join with what precedes it. A kept ASCII byte is such a
 * point (ccc 0, never the second half of a canonical composition, not Mn), and so is any code
 * point with the same properties (see is_split_point()). The one exception is the ASCII byte
 * just before a non-ASCII chunk, which composition may join with a following mark ("e" U+0301
 * -> U+00E9): it is taken back from the output and becomes the first code point of the chunk.
 * Bytes that are not valid UTF-8 end the chunk and are copied through.
 *
 * A chunk, as code points in the work buffer a[]:
 *   1. per input code point: pipeline deletions (and POLICY's invisible -> space), then the
 *      compatibility decomposition (utf8proc_decompose_char, COMPAT);
 *   2. canonical ordering (our own, O(n) per run of marks: utf8proc's gnome sort is quadratic);
 *   3. canonical composition (utf8proc_normalize_utf32): a[] is now NFKC;
 *   4. confusables -> ASCII, in place;
 *   5. canonical decomposition into b[], dropping Mn (except U+3099, U+309A);
 *   6. canonical composition of b[];
 *   7. exotic whitespace -> U+0020 (DLP: drop controls) and UTF-8 encoding into out.
 * TOOLTEXT's leetspeak fold runs over the whole output at the end; it only touches ASCII bytes
 * and commutes with step 7.
 *
 * Writes to out go through a single "o < cap" check; o counts the full length so far, and the
 * call stops with -E2BIG as soon as o exceeds cap (o never decreases by more than the one byte
 * taken back, and a chunk always re-emits at least that byte).
 */
#include "scan/normalize.h"

#include <limits.h>
#include <string.h>
#include <utf8proc.h>

#include "util/utf8.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Largest NFKD of one code point is 18 (U+FDFA); room to spare for future Unicode versions. */
#define DECOMP_MAX 32
/* Work buffer size on the stack, in code points, and the chunk length after which we split. */
#define STACK_CPS 1024
#define SPLIT_AT  512
/* The NFKD byte expansion of U+FDFA, the largest over Unicode (see pl_norm_bound()). */
#define EXPANSION 11

/* ASCII bytes copied through by the fast path: 0x20-0x7E. */
static inline bool
is_printable(unsigned char c)
{
    return c >= 0x20 && c < 0x7F;
}

/* Length of the prefix of p[0, n) made of printable ASCII. */
static size_t
printable_span(const unsigned char *p, size_t n)
{
    size_t i = 0;

#ifdef __SSE2__
    const __m128i lo = _mm_set1_epi8(0x1F), hi = _mm_set1_epi8(0x7F);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* signed compares: bytes >= 0x80 are negative and fail the first test */
        __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
        unsigned m = (unsigned)_mm_movemask_epi8(ok);
        if (m != 0xFFFF)
            return i + (unsigned)__builtin_ctz(~m);
    }
#else
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t del = w ^ (0x7F * ones);
        /* any byte >= 0x80, any byte < 0x20, any byte == 0x7F (exact for "any") */
        uint64_t bad =
            (w & highs) | ((w - 0x20 * ones) & ~w & highs) | ((del - ones) & ~del & highs);
        if (bad)
            break;
    }
#endif
    while (i < n && is_printable(p[i]))
        i++;
    return i;
}

/* --- character classes ------------------------------------------------------------------- */

static inline bool
is_control(int32_t c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

static bool
is_invisible(int32_t c)
{
    if (c < 0xAD)
        return false;
    if (c < 0x2000)
        return c == 0xAD || c == 0x115F || c == 0x1160;
    if (c < 0xE0000)
        return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
               (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) || c == 0x3164 ||
               (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB);
    return c <= 0xE007F || (c >= 0xE0100 && c <= 0xE01EF);
}

static bool
is_exotic_ws(int32_t c)
{
    if (c < 0xA0)
        return false;
    return c == 0xA0 || c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/*
 * The confusable map, sorted by code point. None of these code points has a decomposition or
 * is produced by a composition, so NFKC never creates or destroys one; they are looked up in
 * NFKC output as the reference does. The two letter blocks at U+1F170 and U+1F1E6 are ranges.
 */
static const struct confusable_entry {
    uint16_t cp;
    char ascii;
} confusables[] = {
    {0x00D8, 'O'}, /* LATIN CAPITAL LETTER O WITH STROKE */
    {0x00F8, 'o'}, /* LATIN SMALL LETTER O WITH STROKE */
    {0x0110, 'D'}, /* LATIN CAPITAL LETTER D WITH STROKE */
    {0x0111, 'd'}, /* LATIN SMALL LETTER D WITH STROKE */
    {0x0126, 'H'}, /* LATIN CAPITAL LETTER H WITH STROKE */
    {0x0127, 'h'}, /* LATIN SMALL LETTER H WITH STROKE */
    {0x0141, 'L'}, /* LATIN CAPITAL LETTER L WITH STROKE */
    {0x0142, 'l'}, /* LATIN SMALL LETTER L WITH STROKE */
    {0x0166, 'T'}, /* LATIN CAPITAL LETTER T WITH STROKE */
    {0x0167, 't'}, /* LATIN SMALL LETTER T WITH STROKE */
    {0x0262, 'G'}, /* LATIN LETTER SMALL CAPITAL G */
    {0x026A, 'I'}, /* LATIN LETTER SMALL CAPITAL I */
    {0x0274, 'N'}, /* LATIN LETTER SMALL CAPITAL N */
    {0x0280, 'R'}, /* LATIN LETTER SMALL CAPITAL R */
    {0x028F, 'Y'}, /* LATIN LETTER SMALL CAPITAL Y */
    {0x0299, 'B'}, /* LATIN LETTER SMALL CAPITAL B */
    {0x029C, 'H'}, /* LATIN LETTER SMALL CAPITAL H */
    {0x029F, 'L'}, /* LATIN LETTER SMALL CAPITAL L */
    {0x0391, 'A'}, /* GREEK CAPITAL LETTER ALPHA */
    {0x0392, 'B'}, /* GREEK CAPITAL LETTER BETA */
    {0x0395, 'E'}, /* GREEK CAPITAL LETTER EPSILON */
    {0x0396, 'Z'}, /* GREEK CAPITAL LETTER ZETA */
    {0x0397, 'H'}, /* GREEK CAPITAL LETTER ETA */
    {0x0399, 'I'}, /* GREEK CAPITAL LETTER IOTA */
    {0x039A, 'K'}, /* GREEK CAPITAL LETTER KAPPA */
    {0x039C, 'M'}, /* GREEK CAPITAL LETTER MU */
    {0x039D, 'N'}, /* GREEK CAPITAL LETTER NU */
    {0x039F, 'O'}, /* GREEK CAPITAL LETTER OMICRON */
    {0x03A1, 'P'}, /* GREEK CAPITAL LETTER RHO */
    {0x03A4, 'T'}, /* GREEK CAPITAL LETTER TAU */
    {0x03A5, 'Y'}, /* GREEK CAPITAL LETTER UPSILON */
    {0x03A7, 'X'}, /* GREEK CAPITAL LETTER CHI */
    {0x03B1, 'a'}, /* GREEK SMALL LETTER ALPHA */
    {0x03B5, 'e'}, /* GREEK SMALL LETTER EPSILON */
    {0x03B9, 'i'}, /* GREEK SMALL LETTER IOTA */
    {0x03BA, 'k'}, /* GREEK SMALL LETTER KAPPA */
    {0x03BD, 'v'}, /* GREEK SMALL LETTER NU */
    {0x03BF, 'o'}, /* GREEK SMALL LETTER OMICRON */
    {0x0405, 'S'}, /* CYRILLIC CAPITAL LETTER DZE */
    {0x0406, 'I'}, /* CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I */
    {0x0408, 'J'}, /* CYRILLIC CAPITAL LETTER JE */
    {0x0410, 'A'}, /* CYRILLIC CAPITAL LETTER A */
    {0x0412, 'B'}, /* CYRILLIC CAPITAL LETTER VE */
    {0x0415, 'E'}, /* CYRILLIC CAPITAL LETTER IE */
    {0x041A, 'K'}, /* CYRILLIC CAPITAL LETTER KA */
    {0x041C, 'M'}, /* CYRILLIC CAPITAL LETTER EM */
    {0x041D, 'H'}, /* CYRILLIC CAPITAL LETTER EN */
    {0x041E, 'O'}, /* CYRILLIC CAPITAL LETTER O */
    {0x0420, 'P'}, /* CYRILLIC CAPITAL LETTER ER */
    {0x0421, 'C'}, /* CYRILLIC CAPITAL LETTER ES */
    {0x0422, 'T'}, /* CYRILLIC CAPITAL LETTER TE */
    {0x0425, 'X'}, /* CYRILLIC CAPITAL LETTER HA */
    {0x0430, 'a'}, /* CYRILLIC SMALL LETTER A */
    {0x0432, 'v'}, /* CYRILLIC SMALL LETTER VE */
    {0x0435, 'e'}, /* CYRILLIC SMALL LETTER IE */
    {0x043A, 'k'}, /* CYRILLIC SMALL LETTER KA */
    {0x043C, 'm'}, /* CYRILLIC SMALL LETTER EM */
    {0x043D, 'h'}, /* CYRILLIC SMALL LETTER EN */
    {0x043E, 'o'}, /* CYRILLIC SMALL LETTER O */
    {0x0440, 'p'}, /* CYRILLIC SMALL LETTER ER */
    {0x0441, 'c'}, /* CYRILLIC SMALL LETTER ES */
    {0x0442, 't'}, /* CYRILLIC SMALL LETTER TE */
    {0x0443, 'y'}, /* CYRILLIC SMALL LETTER U */
    {0x0445, 'x'}, /* CYRILLIC SMALL LETTER HA */
    {0x0455, 's'}, /* CYRILLIC SMALL LETTER DZE */
    {0x0456, 'i'}, /* CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I */
    {0x0458, 'j'}, /* CYRILLIC SMALL LETTER JE */
    {0x053C, 'L'}, /* ARMENIAN CAPITAL LETTER LIWN */
    {0x054D, 'S'}, /* ARMENIAN CAPITAL LETTER SEH */
    {0x0555, 'O'}, /* ARMENIAN CAPITAL LETTER OH */
    {0x0561, 'a'}, /* ARMENIAN SMALL LETTER AYB */
    {0x0570, 'h'}, /* ARMENIAN SMALL LETTER HO */
    {0x0578, 'n'}, /* ARMENIAN SMALL LETTER VO */
    {0x057C, 'n'}, /* ARMENIAN SMALL LETTER RA */
    {0x057D, 's'}, /* ARMENIAN SMALL LETTER SEH */
    {0x0585, 'o'}, /* ARMENIAN SMALL LETTER OH */
    {0x13A1, 'E'}, /* CHEROKEE LETTER E */
    {0x13A2, 'I'}, /* CHEROKEE LETTER I */
    {0x13AA, 'A'}, /* CHEROKEE LETTER GO */
    {0x13B3, 'W'}, /* CHEROKEE LETTER LA */
    {0x13D4, 'T'}, /* CHEROKEE LETTER TA */
    {0x13DA, 'S'}, /* CHEROKEE LETTER DU */
    {0x13E2, 'P'}, /* CHEROKEE LETTER TLV */
    {0x1D00, 'A'}, /* LATIN LETTER SMALL CAPITAL A */
    {0x1D04, 'C'}, /* LATIN LETTER SMALL CAPITAL C */
    {0x1D05, 'D'}, /* LATIN LETTER SMALL CAPITAL D */
    {0x1D07, 'E'}, /* LATIN LETTER SMALL CAPITAL E */
    {0x1D0A, 'J'}, /* LATIN LETTER SMALL CAPITAL J */
    {0x1D0B, 'K'}, /* LATIN LETTER SMALL CAPITAL K */
    {0x1D0D, 'M'}, /* LATIN LETTER SMALL CAPITAL M */
    {0x1D0F, 'O'}, /* LATIN LETTER SMALL CAPITAL O */
    {0x1D18, 'P'}, /* LATIN LETTER SMALL CAPITAL P */
    {0x1D1B, 'T'}, /* LATIN LETTER SMALL CAPITAL T */
    {0x1D1C, 'U'}, /* LATIN LETTER SMALL CAPITAL U */
    {0x1D20, 'V'}, /* LATIN LETTER SMALL CAPITAL V */
    {0x1D21, 'W'}, /* LATIN LETTER SMALL CAPITAL W */
    {0x1D22, 'Z'}, /* LATIN LETTER SMALL CAPITAL Z */
    {0xA730, 'F'}, /* LATIN LETTER SMALL CAPITAL F */
    {0xA731, 'S'}, /* LATIN LETTER SMALL CAPITAL S */
};

/* The ASCII letter code point c looks like, or c itself. */
static int32_t
confusable(int32_t c)
{
    if (c < 0xD8)
        return c;
    if (c >= 0x1F170 && c <= 0x1F189) /* NEGATIVE SQUARED LATIN CAPITAL LETTER A..Z */
        return 'A' + (c - 0x1F170);
    if (c >= 0x1F1E6 && c <= 0x1F1FF) /* REGIONAL INDICATOR SYMBOL LETTER A..Z */
        return 'A' + (c - 0x1F1E6);
    if (c > 0xA731)
        return c;
    size_t lo = 0, hi = PL_ARRAY_SIZE(confusables);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (confusables[mid].cp < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < PL_ARRAY_SIZE(confusables) && confusables[lo].cp == c)
        return confusables[lo].ascii;
    return c;
}

static inline unsigned
ccc(int32_t c)
{
    return c < 0x300 ? 0 : utf8proc_get_property(c)->combining_class;
}

/* Deleted by mark stripping: category Mn, except the kana voicing marks (see normalize.h). */
static inline bool
is_dropped_mark(int32_t c)
{
    return c >= 0x300 && c != 0x3099 && c != 0x309A && utf8proc_category(c) == UTF8PROC_CATEGORY_MN;
}

/*
 * True when a chunk may end just before decomposed code point c: c has canonical combining
 * class 0 (reordering never crosses it and it blocks composition past it), is not a mark (all
 * second halves of canonical compositions with class 0 are Mc or Mn vowel signs and length
 * marks, and an Mn would be deleted by mark stripping, letting its neighbours compose), and is
 * not a Hangul medial vowel or final consonant (composed algorithmically with what precedes).
 */
static bool
is_split_point(int32_t c)
{
    if (c < 0x300)
        return true;
    if ((c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2))
        return false;
    const utf8proc_property_t *prop = utf8proc_get_property(c);
    if (prop->combining_class != 0)
        return false;
    return prop->category != UTF8PROC_CATEGORY_MN && prop->category != UTF8PROC_CATEGORY_MC &&
           prop->category != UTF8PROC_CATEGORY_ME;
}

/* --- the normaliser state ------------------------------------------------------------------ */

struct norm {
    enum pl_norm_pipeline pipe;
    char *out;
    size_t cap;
    size_t o;       /* full output length so far; out[] is written only below cap */
    int32_t *a, *b; /* work buffers: the caller's stack arrays, or owned when a_heap/b_heap */
    size_t a_cap, b_cap;
    size_t n; /* code points in a[] */
    bool a_heap, b_heap;
    bool have_last; /* the last output byte is an ASCII byte written by the byte path */
    char last;      /* that byte */
};

/* Grow *buf (holding used code points) to at least need code points. 0 or -ENOMEM. */
static int
grow(int32_t **buf, size_t *cap, bool *heap, size_t used, size_t need)
{
    size_t ncap = *cap;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / sizeof(int32_t))
            return -ENOMEM;
        ncap *= 2;
    }
    int32_t *nb = malloc(ncap * sizeof(int32_t));
    if (!nb)
        return -ENOMEM;
    if (used)
        memcpy(nb, *buf, used * sizeof(int32_t));
    if (*heap)
        free(*buf);
    *buf = nb;
    *cap = ncap;
    *heap = true;
    return 0;
}

static inline void
put_byte(struct norm *z, char c)
{
    if (z->o < z->cap)
        z->out[z->o] = c;
    z->o++;
}

static void
put_cp(struct norm *z, int32_t c)
{
    unsigned char u[4];
    size_t len;

    if (c < 0x80) {
        put_byte(z, (char)c);
        return;
    }
    if (c < 0x800) {
        u[0] = (unsigned char)(0xC0 | (c >> 6));
        u[1] = (unsigned char)(0x80 | (c & 0x3F));
        len = 2;
    } else if (c < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (c >> 12));
        u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (c & 0x3F));
        len = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (c >> 18));
        u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (c & 0x3F));
        len = 4;
    }
    for (size_t k = 0; k < len; k++)
        put_byte(z, (char)u[k]);
}

/*
 * Stable sort of a run of non-starters by combining class: insertion sort for short runs,
 * counting sort (tmp must hold k code points) for long ones, so any input stays O(n).
 */
static void
sort_marks(int32_t *m, size_t k, int32_t *tmp)
{
    if (k <= 32) {
        for (size_t i = 1; i < k; i++) {
            int32_t c = m[i];
            unsigned cc = ccc(c);
            size_t j = i;
            while (j > 0 && ccc(m[j - 1]) > cc) {
                m[j] = m[j - 1];
                j--;
            }
            m[j] = c;
        }
        return;
    }
    size_t start[257] = {0};
    for (size_t i = 0; i < k; i++)
        start[ccc(m[i]) + 1]++;
    for (size_t c = 1; c < 257; c++)
        start[c] += start[c - 1];
    for (size_t i = 0; i < k; i++)
        tmp[start[ccc(m[i])]++] = m[i];
    memcpy(m, tmp, k * sizeof(int32_t));
}

/* Canonical ordering of a[0, n) (Unicode 3.11), using tmp (n code points) as scratch. */
static void
canonical_order(int32_t *a, size_t n, int32_t *tmp)
{
    size_t i = 0;
    while (i < n) {
        if (ccc(a[i]) == 0) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && ccc(a[j]) != 0)
            j++;
        if (j - i > 1)
            sort_marks(a + i, j - i, tmp);
        i = j;
    }
}

/* Canonical composition in place; returns the new length. */
static size_t
compose(int32_t *a, size_t n)
{
    utf8proc_ssize_t r = utf8proc_normalize_utf32(
        a, (utf8proc_ssize_t)n, (utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
    return r < 0 ? n : (size_t)r; /* cannot fail without NLF or STRIPCC options */
}

/* Run steps 2-7 on the chunk in a[0, n) and empty it. 0 or -ENOMEM. */
static int
flush(struct norm *z)
{
    size_t n = z->n, m = 0;
    int r;

    if (n == 0)
        return 0;
    z->n = 0;
    z->have_last = false;
    if (z->b_cap < n && (r = grow(&z->b, &z->b_cap, &z->b_heap, 0, n)) < 0)
        return r;
    canonical_order(z->a, n, z->b);
    n = compose(z->a, n);
    for (size_t i = 0; i < n; i++)
        z->a[i] = confusable(z->a[i]);

    /* NFD with Mn deleted; never longer than the NFKD we started from (b_cap >= that) */
    for (size_t i = 0; i < n; i++) {
        int32_t c = z->a[i], d[DECOMP_MAX];
        utf8proc_ssize_t k = 1;
        int bound = 0;

        d[0] = c;
        if (c >= 0xC0) {
            k = utf8proc_decompose_char(c, d, DECOMP_MAX, UTF8PROC_DECOMPOSE, &bound);
            if (k < 1 || k > DECOMP_MAX) {
                d[0] = c;
                k = 1;
            }
        }
        for (utf8proc_ssize_t j = 0; j < k; j++) {
            if (is_dropped_mark(d[j]))
                continue;
            if (m == z->b_cap && (r = grow(&z->b, &z->b_cap, &z->b_heap, m, m + 1)) < 0)
                return r;
            z->b[m++] = d[j];
        }
    }
    m = compose(z->b, m);

    for (size_t i = 0; i < m; i++) {
        int32_t c = z->b[i];
        if (z->pipe == PL_NORM_DLP) {
            /* NFKC maps nothing to a control today; keep the DLP output free of them anyway */
            if (is_control(c))
                continue;
        } else if (is_exotic_ws(c)) {
            c = ' ';
        }
        put_cp(z, c);
    }
    return 0;
}

/*
 * Step 1 for one valid non-ASCII code point: pipeline deletions, then the compatibility
 * decomposition appended to the chunk. 0 or -ENOMEM.
 */
static int
add_cp(struct norm *z, int32_t c)
{
    int32_t d[DECOMP_MAX];
    utf8proc_ssize_t k;
    int bound = 0, r;

    if (is_control(c))
        return 0; /* C1; every pipeline deletes them */
    if (is_invisible(c)) {
        if (z->pipe != PL_NORM_POLICY)
            return 0;
        c = ' ';
    } else if (z->pipe == PL_NORM_DLP && is_exotic_ws(c)) {
        return 0;
    }

    k = utf8proc_decompose_char(c, d, DECOMP_MAX, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &bound);
    if (k < 1 || k > DECOMP_MAX) { /* not with Unicode <= 15 (max 18); keep c as it is */
        d[0] = c;
        k = 1;
    }

    if (z->n >= SPLIT_AT && is_split_point(d[0]) && (r = flush(z)) < 0)
        return r;
    if (z->n == 0 && z->have_last) {
        /* the preceding ASCII byte may compose with what follows: take it back */
        z->o--;
        z->a[z->n++] = (unsigned char)z->last;
        z->have_last = false;
    }
    if (z->n + (size_t)k > z->a_cap &&
        (r = grow(&z->a, &z->a_cap, &z->a_heap, z->n, z->n + (size_t)k)) < 0)
        return r;
    memcpy(z->a + z->n, d, (size_t)k * sizeof(int32_t));
    z->n += (size_t)k;
    return 0;
}

/* ASCII controls the pipeline keeps: \t \n \r for MATCHING and POLICY, none otherwise. */
static inline bool
keeps_control(enum pl_norm_pipeline p, unsigned char c)
{
    return (p == PL_NORM_MATCHING || p == PL_NORM_POLICY) && (c == '\t' || c == '\n' || c == '\r');
}

size_t
pl_norm_bound(size_t len)
{
    return len > SIZE_MAX / EXPANSION ? SIZE_MAX : len * EXPANSION;
}

/* "013457@$": the leetspeak characters. */
static const char leet_map[256] = {
    ['0'] = 'o', ['1'] = 'i', ['3'] = 'e', ['4'] = 'a',
    ['5'] = 's', ['7'] = 't', ['@'] = 'a', ['$'] = 's',
};

#ifdef __SSE2__
/* Bit k set when p[k] (k < 16) is a leetspeak character. */
static inline unsigned
leet_mask16(const unsigned char *p)
{
    const __m128i d0 = _mm_set1_epi8('0' - 1), d7 = _mm_set1_epi8('7' + 1);
    const __m128i two = _mm_set1_epi8('2'), six = _mm_set1_epi8('6');
    const __m128i at = _mm_set1_epi8('@'), dollar = _mm_set1_epi8('$');
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d7));
    __m128i not26 = _mm_or_si128(_mm_cmpeq_epi8(v, two), _mm_cmpeq_epi8(v, six));
    __m128i hit = _mm_or_si128(_mm_andnot_si128(not26, dig),
                               _mm_or_si128(_mm_cmpeq_epi8(v, at), _mm_cmpeq_epi8(v, dollar)));
    return (unsigned)_mm_movemask_epi8(hit);
}
#endif

/* True when p[0, n) holds no leetspeak character. */
static bool
no_leet(const unsigned char *p, size_t n)
{
    size_t i = 0;

#ifdef __SSE2__
    for (; i + 16 <= n; i += 16)
        if (leet_mask16(p + i))
            return false;
#endif
    for (; i < n; i++)
        if (leet_map[p[i]])
            return false;
    return true;
}

bool
pl_norm_is_identity(struct pl_str s, enum pl_norm_pipeline p)
{
    const unsigned char *q = (const unsigned char *)s.p;
    size_t i = 0;

    while (i < s.len) {
        i += printable_span(q + i, s.len - i);
        if (i == s.len)
            break;
        if (!keeps_control(p, q[i]))
            return false;
        i++;
    }
    if (p == PL_NORM_TOOLTEXT)
        return no_leet(q, s.len);
    return true;
}

int
pl_normalize(struct pl_str s, enum pl_norm_pipeline p, char *out, size_t cap)
{
    const unsigned char *q = (const unsigned char *)s.p;
    int32_t sa[STACK_CPS], sb[STACK_CPS];
    struct norm z = {
        .pipe = p,
        .out = out,
        .cap = cap,
        .a = sa,
        .b = sb,
        .a_cap = STACK_CPS,
        .b_cap = STACK_CPS,
    };
    size_t i = 0;
    int r = 0;

    if (p != PL_NORM_DLP && p != PL_NORM_MATCHING && p != PL_NORM_POLICY && p != PL_NORM_TOOLTEXT)
        return -EINVAL;
    if (s.len > INT_MAX)
        return -E2BIG;

    while (i < s.len) {
        if (z.o > cap) {
            r = -E2BIG;
            goto out;
        }
        size_t run = printable_span(q + i, s.len - i);
        if (run) {
            if ((r = flush(&z)) < 0)
                goto out;
            if (z.o < cap)
                memcpy(out + z.o, q + i, PL_MIN(run, cap - z.o));
            z.o += run;
            i += run;
            z.last = (char)q[i - 1];
            z.have_last = true;
            continue;
        }
        unsigned char c = q[i];
        if (c < 0x80) {
            /* a control byte: deleted, or kept like any other ASCII byte */
            if (keeps_control(p, c)) {
                if ((r = flush(&z)) < 0)
                    goto out;
                put_byte(&z, (char)c);
                z.last = (char)c;
                z.have_last = true;
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = pl_utf8_decode(q + i, s.len - i, &cp);
        if (len == 0) {
            /* not UTF-8: a boundary, copied through */
            if ((r = flush(&z)) < 0)
                goto out;
            put_byte(&z, (char)c);
            z.have_last = false;
            i++;
            continue;
        }
        if ((r = add_cp(&z, (int32_t)cp)) < 0)
            goto out;
        i += len;
    }
    if ((r = flush(&z)) < 0)
        goto out;
    if (z.o > cap || z.o > INT_MAX) {
        r = -E2BIG;
        goto out;
    }
    if (p == PL_NORM_TOOLTEXT)
        pl_norm_fold_leet(out, z.o);
    r = (int)z.o;
out:
    if (z.a_heap)
        free(z.a);
    if (z.b_heap)
        free(z.b);
    return r;
}

bool
pl_norm_fold_leet(char *s, size_t len)
{
    size_t i = 0;
    bool any = false;

#ifdef __SSE2__
    for (; i + 16 <= len; i += 16) {
        unsigned m = leet_mask16((const unsigned char *)s + i);
        any |= m != 0;
        while (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            s[i + k] = leet_map[(unsigned char)s[i + k]];
            m &= m - 1;
        }
    }
#endif
    for (; i < len; i++) {
        char m = leet_map[(unsigned char)s[i]];
        if (m) {
            s[i] = m;
            any = true;
        }
    }
    return any;
}

void
pl_norm_fold_vowels(char *s, size_t len)
{
    size_t i = 0;
#ifdef __SSE2__
    /* e i o u (either case) become a / A: OR 0x20 folds case for these letters only. */
    const __m128i lc = _mm_set1_epi8(0x20), big_a = _mm_set1_epi8('A');
    const __m128i e = _mm_set1_epi8('e'), iv = _mm_set1_epi8('i'), o = _mm_set1_epi8('o'),
                  u = _mm_set1_epi8('u');
    for (; i + 16 <= len; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i l = _mm_or_si128(c, lc);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(l, e), _mm_cmpeq_epi8(l, iv)),
                                 _mm_or_si128(_mm_cmpeq_epi8(l, o), _mm_cmpeq_epi8(l, u)));
        if (!_mm_movemask_epi8(m))
            continue;
        __m128i folded = _mm_or_si128(_mm_and_si128(c, lc), big_a);
        c = _mm_or_si128(_mm_and_si128(m, folded), _mm_andnot_si128(m, c));
        _mm_storeu_si128((__m128i *)(s + i), c);
    }
#endif
    static const char vowel_map[256] = {
        ['a'] = 'a', ['e'] = 'a', ['i'] = 'a', ['o'] = 'a', ['u'] = 'a',
        ['A'] = 'A', ['E'] = 'A', ['I'] = 'A', ['O'] = 'A', ['U'] = 'A',
    };
    for (; i < len; i++) {
        char m = vowel_map[(unsigned char)s[i]];
        if (m)
            s[i] = m;
    }
}

static inline bool
ascii_ws(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

size_t
pl_norm_collapse_ws(const char *in, size_t len, char *out)
{
    size_t i = 0, o = 0;
    bool prev = false; /* the last input byte was whitespace */
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), four = _mm_set1_epi8(4);
    for (; i + 16 <= len; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i d = _mm_sub_epi8(c, tab); /* \t..\r -> 0..4, unsigned */
        unsigned ctl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, four), d));
        unsigned ws = ctl | (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, sp));
        /* Copied as is unless a byte is a control whitespace or follows whitespace. */
        if (!(ctl | (ws & ((ws << 1) | (unsigned)prev)))) {
            _mm_storeu_si128((__m128i *)(out + o), c);
            o += 16;
            prev = ws >> 15;
            continue;
        }
        for (size_t k = i; k < i + 16; k++) {
            bool w = ascii_ws((unsigned char)in[k]);
            if (!w)
                out[o++] = in[k];
            else if (!prev)
                out[o++] = ' ';
            prev = w;
        }
    }
#endif
    for (; i < len; i++) {
        bool w = ascii_ws((unsigned char)in[i]);
        if (!w)
            out[o++] = in[i];
        else if (!prev)
            out[o++] = ' ';
        prev = w;
    }
    return o;
}
