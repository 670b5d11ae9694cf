/*
 * DLP checksum validators: the second stage after a pattern hit (card numbers, IBANs, ABA
 * routing numbers, Bitcoin WIF keys). Pure: no allocation, no globals, no logging; each call
 * does bounded work (inputs longer than PL_VALIDATE_MAX_LEN are rejected before any other
 * work). A "false" answer is a verdict (not this kind of value), never an error.
 */
#ifndef PL_SCAN_VALIDATE_H
#define PL_SCAN_VALIDATE_H

#include "util/str.h"

/*
 * Longest input any validator looks at, separators included. A pattern hit is far shorter
 * (card with one separator per gap: 37; IBAN grouped by 4: 42; WIF: 52).
 */
#define PL_VALIDATE_MAX_LEN 64

/*
 * Payment card number. Spaces and dashes are skipped anywhere; every other byte that is not
 * an ASCII digit makes the answer false. Requires 15-19 digits, a known issuer prefix with a
 * length that issuer uses (Visa 4: 16/19; Mastercard 51-55 and 2221-2720: 16; Amex 34/37: 15;
 * JCB 3528-3589: 16-19; Discover 6011, 644-649, 65: 16/19), then the Luhn mod-10 checksum.
 * Borrows s for the call only.
 */
bool pl_validate_luhn_card(struct pl_str s);

/*
 * IBAN (ISO 13616). Spaces and dashes are skipped; letters are case-insensitive. Requires a
 * country code from the IBAN registry table, two check digits (02-98; 00, 01 and 99 are
 * never issued), an alphanumeric BBAN, a total length equal to that country's IBAN length,
 * and the ISO 7064 mod-97 remainder 1 (computed digit by digit, no big integers). Borrows s
 * for the call only.
 */
bool pl_validate_iban(struct pl_str s);

/*
 * US ABA routing transit number: exactly 9 ASCII digits (no separators), first two digits in
 * a Federal Reserve range (00-12, 21-32, 61-72, 80), and weights 3,7,1 repeated summing to a
 * multiple of 10. Borrows s for the call only.
 */
bool pl_validate_aba(struct pl_str s);

/*
 * Bitcoin WIF private key: Base58Check text whose decoded payload is version 0x80 followed
 * by a 32-byte key (51 chars, starts with '5') or a 33-byte key ending in the 0x01
 * compression flag (52 chars, starts with 'K' or 'L'), and whose last 4 decoded bytes equal
 * the first 4 bytes of SHA-256(SHA-256(payload)). Borrows s for the call only.
 */
bool pl_validate_wif(struct pl_str s);

/*
 * Run the validator that config names: "luhn", "mod97", "aba" or "wif" (exact, lower case).
 * Returns 0 and sets *ret_valid, or -EINVAL for a NULL or unknown name (ret_valid untouched).
 */
int pl_validate_by_name(const char *name, struct pl_str s, bool *ret_valid);

/* True when name is one of the names pl_validate_by_name() accepts (config checks). */
bool pl_validate_name_is_known(const char *name);

#endif
