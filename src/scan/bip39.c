/*
 * BIP-39 seed-phrase finder. One pass over the text tokenises on the fly into a ring of the
 * last 24 tokens; each token records its word index and how many list words end at it in
 * a row ("run"), so "tokens s..e are all words" is the O(1) test run[e] > e - s. A start
 * token is examined once the 23 tokens after it are known (or the text ended), which keeps
 * the work per token at five window tests and the state at a fixed size.
 */
#include "scan/bip39.h"

#include <string.h>

#include "util/sha256.h"

/* Phrase lengths, longest first: for one start position the longest phrase is reported. */
static const int phrase_lens[] = {24, 21, 18, 15, 12};

#define RING PL_BIP39_MAX_PHRASE

struct token {
    size_t off, end; /* byte span in the text */
    int idx;         /* word index, or -1 */
    int run;         /* consecutive word tokens ending here, this one included */
};

struct scan {
    struct token ring[RING]; /* token k lives in ring[k % RING] */
    size_t count;            /* tokens seen so far */
};

/* Token separators: ASCII whitespace and - , | ; : */
static const bool sep_table[256] = {
    [' '] = true,  ['\t'] = true, ['\n'] = true, ['\v'] = true, ['\f'] = true,
    ['\r'] = true, ['-'] = true,  [','] = true,  ['|'] = true,  [';'] = true,
    [':'] = true,  ['.'] = 1,     ['"'] = 1,     ['\''] = 1,    ['('] = 1,
    [')'] = 1,     ['['] = 1,     [']'] = 1,     ['{'] = 1,     ['}'] = 1};

static inline bool
is_sep(unsigned char c)
{
    return sep_table[c];
}

/* Word index of a token after ASCII lower-casing; tokens of the wrong length skip the copy. */
static int
token_index(const char *p, size_t len)
{
    char low[PL_BIP39_WORD_MAX_LEN];

    if (len < PL_BIP39_WORD_MIN_LEN || len > PL_BIP39_WORD_MAX_LEN)
        return -1;
    for (size_t i = 0; i < len; i++)
        low[i] = pl_ascii_lower(p[i]);
    return pl_bip39_word_index(pl_str_from(low, len));
}

static const struct token *
tok(const struct scan *s, size_t k)
{
    return &s->ring[k % RING];
}

/*
 * BIP-39 checksum of the n words starting at token `start`: pack the 11-bit indices
 * big-endian (11n bits = 4n/3 entropy bytes, then n/3 checksum bits) and compare the
 * checksum bits with the top bits of SHA-256(entropy).
 */
static bool
checksum_ok(const struct scan *s, size_t start, int n)
{
    uint8_t bits[PL_BIP39_MAX_PHRASE * 11 / 8] = {0};
    uint8_t digest[PL_SHA256_LEN];
    size_t nbits = 0;

    for (int i = 0; i < n; i++) {
        unsigned v = (unsigned)tok(s, start + (size_t)i)->idx;
        for (int b = 10; b >= 0; b--, nbits++)
            if (v >> b & 1)
                bits[nbits / 8] |= (uint8_t)(0x80u >> (nbits % 8));
    }
    size_t cs = (size_t)n / 3, ent_bytes = (size_t)n * 4 / 3;
    pl_sha256(bits, ent_bytes, digest);
    /* cs <= 8, and the checksum bits start on the byte boundary after the entropy. */
    unsigned want = (unsigned)digest[0] >> (8 - cs);
    unsigned got = (unsigned)bits[ent_bytes] >> (8 - cs);
    bool ok = want == got;
    /* A passing window is a wallet key; do not leave it on the stack. */
    explicit_bzero(bits, sizeof(bits));
    explicit_bzero(digest, sizeof(digest));
    return ok;
}

/* Examine windows starting at token `start`; true and the span on the first match. */
static bool
try_start(const struct scan *s, size_t start, int min_words, bool verify, size_t *ret_off,
          size_t *ret_len)
{
    if (tok(s, start)->idx < 0)
        return false;
    for (size_t i = 0; i < PL_ARRAY_SIZE(phrase_lens); i++) {
        int n = phrase_lens[i];
        size_t last = start + (size_t)n - 1;
        if (n < min_words || last >= s->count)
            continue;
        if (tok(s, last)->run < n)
            continue;
        if (verify && !checksum_ok(s, start, n))
            continue;
        *ret_off = tok(s, start)->off;
        *ret_len = tok(s, last)->end - *ret_off;
        return true;
    }
    return false;
}

bool
pl_bip39_find(struct pl_str text, const struct pl_bip39_opts *o, size_t *ret_off, size_t *ret_len)
{
    struct pl_bip39_opts def = {PL_BIP39_MIN_PHRASE, true};
    struct scan s;
    size_t off = 0, len = 0, next = 0; /* next: first start token not yet examined */
    bool found = false;

    if (!o)
        o = &def;
    int min_words = PL_MAX(o->min_words, PL_BIP39_MIN_PHRASE);
    if (min_words > PL_BIP39_MAX_PHRASE || !text.p)
        return false;

    s.count = 0;
    const unsigned char *p = (const unsigned char *)text.p;
    size_t i = 0;
    while (!found) {
        while (i < text.len && is_sep(p[i]))
            i++;
        if (i == text.len)
            break;
        size_t b = i;
        while (i < text.len && !is_sep(p[i]))
            i++;

        struct token *t = &s.ring[s.count % RING];
        int prev_run = s.count > 0 ? tok(&s, s.count - 1)->run : 0;
        t->off = b;
        t->end = i;
        t->idx = token_index(text.p + b, i - b);
        t->run = t->idx < 0 ? 0 : PL_MIN(prev_run + 1, PL_BIP39_MAX_PHRASE);
        s.count++;

        /* Token `next` can be examined once all 23 tokens after it are in the ring; it can
         * only start a phrase when the min_words tokens from it are all list words. */
        if (s.count >= RING) {
            if (tok(&s, next + (size_t)min_words - 1)->run >= min_words)
                found = try_start(&s, next, min_words, o->verify_checksum, &off, &len);
            next++;
        }
    }
    /* End of text: the starts whose longest windows were never complete. */
    for (; !found && next + (size_t)min_words <= s.count; next++)
        if (tok(&s, next + (size_t)min_words - 1)->run >= min_words)
            found = try_start(&s, next, min_words, o->verify_checksum, &off, &len);
    if (!found)
        return false;
    if (ret_off)
        *ret_off = off;
    if (ret_len)
        *ret_len = len;
    return true;
}
