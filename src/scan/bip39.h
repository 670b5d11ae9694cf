/*
 * BIP-39 seed-phrase detection: finds a run of 12, 15, 18, 21 or 24 English BIP-39 words
 * (optionally with a valid checksum) in arbitrary text.
 *
 * Pure: no allocation, no globals that change, no logging. Work is linear in the input
 * (at most five fixed-size window checks per token) and needs about 1 KiB of stack,
 * whatever the bytes are; non-ASCII bytes are simply part of a token.
 */
#ifndef PL_SCAN_BIP39_H
#define PL_SCAN_BIP39_H

#include "util/str.h"

#define PL_BIP39_WORDS        2048
#define PL_BIP39_WORD_MIN_LEN 3
#define PL_BIP39_WORD_MAX_LEN 8
#define PL_BIP39_MIN_PHRASE   12
#define PL_BIP39_MAX_PHRASE   24

struct pl_bip39_opts {
    /*
     * Shortest phrase reported; only the BIP-39 lengths 12, 15, 18, 21 and 24 are ever
     * tried. Values below 12 act as 12 (shorter runs are not phrases); values above 24
     * mean nothing can match.
     */
    int min_words;
    /* Require the BIP-39 checksum (then 1 in 16 to 1 in 256 random word runs still pass). */
    bool verify_checksum;
};

/*
 * Index 0..2047 of w in the English word list, or -1 when w is not exactly a list word.
 * The match is exact and case-sensitive: the list is lower case, so callers lower-case
 * first ("Abandon" is -1). Borrows w for the call only.
 */
int pl_bip39_word_index(struct pl_str w);

/*
 * The word at index (0..2047), a slice of static read-only storage; PL_STR_NULL for an
 * index out of range.
 */
struct pl_str pl_bip39_word(int index);

/*
 * Look for a seed phrase in text. Tokens are the maximal runs of bytes other than the
 * separators '-', ',', '|', ';', ':', ASCII whitespace, and (beyond the reference, so
 * glued punctuation cannot hide a phrase) '.', quotes, parentheses, brackets and braces (space, \t,
 * \n, \v, \f, \r); ASCII letters are compared case-insensitively. A window of exactly 12, 15, 18,
 * 21 or 24 consecutive tokens (only lengths >= o->min_words) qualifies when every token is a list
 * word and, with o->verify_checksum, the last n/3 bits of the concatenated 11-bit indices
 * equal the leading bits of SHA-256 of the entropy (the other 32n/3 bits).
 *
 * Windows are tried by start token, earliest first, and for one start longest first, so a
 * valid 24-word phrase is reported whole rather than as a 12-word prefix that happens to
 * pass. On a match returns true and, when not NULL, sets *ret_off and *ret_len to the bytes
 * from the start of the first token to the end of the last (a span of text). Returns false
 * otherwise, leaving ret_* untouched. o may be NULL for the defaults (12 words, checksum).
 * Borrows text for the call only.
 */
bool pl_bip39_find(struct pl_str text, const struct pl_bip39_opts *o, size_t *ret_off,
                   size_t *ret_len);

#endif
