/*
 * Unicode normalisation pipelines applied to text before pattern matching: invisible and
 * control characters, exotic whitespace, NFKC, an ASCII confusable map, combining-mark
 * stripping, and the leetspeak and vowel folds.
 *
 * Primitives (as the reference; detection-facts.md section 2):
 *   controls    U+0000-001F, U+007F, U+0080-009F.
 *   invisibles  U+00AD, U+115F-1160, U+200B-200F, U+202A-202E, U+2060-2064, U+2066-2069,
 *               U+3164, U+FE00-FE0F, U+FEFF, U+FFF9-FFFB, U+E0000-E007F, U+E0100-E01EF.
 *   exotic ws   U+00A0, U+1680, U+180E, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000.
 *   confusables Cyrillic, Greek, Armenian, Cherokee, stroke letters, Latin small capitals,
 *               negative squared letters and regional indicators mapped to ASCII letters.
 *   strip marks NFD, delete general category Mn, then NFC (see below).
 *
 * Pipelines, each step over the whole text in this order:
 *   DLP       delete controls (\t \n \r too) and invisibles -> delete exotic whitespace ->
 *             NFKC -> confusables -> strip marks
 *   MATCHING  delete invisibles and controls except \t \n \r -> NFKC -> confusables ->
 *             strip marks -> exotic whitespace to U+0020
 *   POLICY    as MATCHING, but invisibles become U+0020 instead of being deleted
 *   TOOLTEXT  delete controls and invisibles -> NFKC -> confusables -> strip marks ->
 *             leetspeak -> exotic whitespace to U+0020
 * As in the reference, NFKC runs after the deletions, so a character that NFKC turns into an
 * invisible one survives (U+FFA0 becomes the Hangul filler U+1160).
 *
 * Deliberate differences from the reference:
 *   - Mark stripping recomposes (NFC) after deleting Mn, and keeps the kana voicing marks
 *     U+3099 and U+309A. The reference leaves the text decomposed, so Hangul syllables turn into
 *     conjoining jamo and voiced kana lose their marks, and no Korean pattern nor any Japanese
 *     pattern with voiced kana can ever match. Our output is NFC of the reference output, with
 *     the voicing marks kept ("무시" and "で" come through unchanged).
 *   - Bytes that are not valid UTF-8 (strictly: no overlongs, surrogates or values past
 *     U+10FFFF) are copied through unchanged, one byte at a time, and act as a boundary for
 *     NFKC; they are never an error.
 *
 * Pure: no global state; safe to call from any thread.
 */
#ifndef PL_SCAN_NORMALIZE_H
#define PL_SCAN_NORMALIZE_H

#include "util/str.h"

enum pl_norm_pipeline {
    PL_NORM_DLP = 0,
    PL_NORM_MATCHING,
    PL_NORM_POLICY,
    PL_NORM_TOOLTEXT,
};

/*
 * Upper bound of pl_normalize()'s output length for an input of len bytes under any pipeline:
 * 11 * len (saturating at SIZE_MAX). Every step after the deletions either keeps a code point,
 * replaces it by a shorter one, or (NFKC, and the NFD inside mark stripping) expands it; the
 * composed result is never longer than the compatibility decomposition, so the output is at
 * most the UTF-8 length of the NFKD of the input. Over all of Unicode the largest ratio of
 * NFKD bytes to input bytes is U+FDFA (3 bytes) -> 18 code points of 33 bytes, i.e. 11; ASCII
 * and invalid bytes map to at most 1 byte.
 */
size_t pl_norm_bound(size_t len);

/*
 * True when pl_normalize(s, p) would return s byte for byte. Exact only on the fast path:
 * printable ASCII (0x20-0x7E; plus \t \n \r for MATCHING and POLICY; for TOOLTEXT none of the
 * leet characters "013457@$") answers true without allocating; any other byte answers false
 * even when normalisation would happen to leave it alone. The empty string is an identity.
 */
bool pl_norm_is_identity(struct pl_str s, enum pl_norm_pipeline p);

/*
 * Normalise s with pipeline p into out[0, cap). out must not overlap s. Runs of ASCII are
 * copied without touching utf8proc; non-ASCII runs use a stack buffer and fall back to the
 * heap only for long runs that offer no safe split point (e.g. thousands of combining marks).
 * Time is linear in s.len. Returns the output length (>= 0), -E2BIG when the output does not
 * fit in cap (cap >= pl_norm_bound(s.len) always suffices) or s.len > INT_MAX, -ENOMEM when a
 * work buffer cannot be allocated, -EINVAL for an unknown pipeline. On error the bytes of
 * out[0, cap) are unspecified.
 */
int pl_normalize(struct pl_str s, enum pl_norm_pipeline p, char *out, size_t cap);

/*
 * In place: 0->o 1->i 3->e 4->a 5->s 7->t @->a $->s on s[0, len); other bytes untouched.
 * Returns true when a byte changed.
 */
bool pl_norm_fold_leet(char *s, size_t len);

/* In place: a e i o u -> a and A E I O U -> A on s[0, len); other bytes untouched. */
void pl_norm_fold_vowels(char *s, size_t len);

/*
 * Copy in[0, len) to out with every run of ASCII whitespace (space, \t \n \v \f \r: what
 * PCRE2's \s matches without UCP) replaced by one space. Returns the output length (<= len).
 * out must not overlap in. Anchors for this text spell each whitespace gap as " ?", which keeps
 * vectorscan on its literal matchers (see scan/inject.c).
 */
size_t pl_norm_collapse_ws(const char *in, size_t len, char *out);

#endif
