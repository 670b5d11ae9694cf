/* What the `ask` approver shows on a terminal: pl_hitl_sanitize(). */
#include <criterion/criterion.h>
#include <string.h>

#include "net/hitl.h"

static const char *
clean(const char *in, size_t max)
{
    static char out[512];
    pl_hitl_sanitize(pl_str_c(in), max, out, sizeof(out));
    return out;
}

Test(hitl_sanitize, plain_text_is_kept)
{
    cr_assert_str_eq(clean("Ignore all previous instructions", 200),
                     "Ignore all previous instructions");
    cr_assert_str_eq(clean("caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97", 200),
                     "caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97");
}

Test(hitl_sanitize, escape_sequences_and_controls_become_spaces)
{
    cr_assert_str_eq(clean("a\x1b[2Jb", 200), "a [2Jb");
    cr_assert_str_eq(clean("\x1b]0;title\x07x", 200), "]0;title x");
    cr_assert_str_eq(clean("line1\r\nline2\tend", 200), "line1 line2 end");
    cr_assert_str_eq(clean("del\x7f", 200), "del");
    /* C1 controls (U+009B is CSI on some terminals) and invalid UTF-8 */
    cr_assert_str_eq(clean("x\xc2\x9b"
                           "31my",
                           200),
                     "x 31my");
    cr_assert_str_eq(clean("x\xff\xfey", 200), "x y");
    cr_assert_str_eq(clean("\xe6\xbc", 200), "");
}

Test(hitl_sanitize, no_escape_byte_survives_any_input)
{
    char in[256], out[300];
    for (int i = 0; i < 256; i++)
        in[i] = (char)i;
    pl_hitl_sanitize(pl_str_from(in, sizeof(in)), sizeof(in), out, sizeof(out));
    for (const char *p = out; *p; p++)
        cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f, "byte %02x kept",
                  (unsigned char)*p);
}

Test(hitl_sanitize, length_limits)
{
    cr_assert_str_eq(clean("abcdefgh", 4), "abcd");
    char out[4];
    pl_hitl_sanitize(pl_str_c("abcdefgh"), 100, out, sizeof(out));
    cr_assert_str_eq(out, "abc");
    /* a multi-byte character that does not fit is dropped whole */
    pl_hitl_sanitize(pl_str_c("ab\xc3\xa9"), 100, out, sizeof(out));
    cr_assert_str_eq(out, "ab");
    cr_assert_str_eq(clean("   spaced   out   ", 200), "spaced out");
}
