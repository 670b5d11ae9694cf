/* Shannon entropy of text, as the URL pipeline's entropy checks use it (reference §4). */
#ifndef PL_SCAN_ENTROPY_H
#define PL_SCAN_ENTROPY_H

#include "util/str.h"

/* Longest input measured; longer inputs are measured on their first PL_ENTROPY_MAX_LEN bytes. */
#define PL_ENTROPY_MAX_LEN 65536

/*
 * Shannon entropy in bits per character over Unicode code points:
 * H = -sum(p_c * log2(p_c)), p_c = count(c) / number of code points. Invalid UTF-8 bytes count
 * as one symbol each (U+FFFD would merge distinct bytes and hide entropy). Returns 0 for empty
 * input. *ret_chars, when not NULL, receives the number of code points measured (the reference's
 * minimum lengths — 20 for path/query, 8 for labels — are in code points).
 * Pure, no allocation, O(n).
 */
double pl_entropy(struct pl_str s, size_t *ret_chars);

#endif
