/*
 * Turn the dlp: section of a config into a compiled DLP database: the core floor, the
 * built-ins (unless include_defaults is false), user patterns merged by name, and the
 * literal secrets (the process environment with dlp.scan_env, dlp.secrets_file).
 */
#ifndef PL_POLICY_DLP_POLICY_H
#define PL_POLICY_DLP_POLICY_H

#include "policy/config.h"
#include "scan/dlp.h"
#include "scan/inject.h"

/*
 * Compile the DLP database for cfg. envp is the environment to take secrets from (NULL for
 * none). Returns 0, or -EINVAL / -ENOMEM / -errno of the secrets file with a malloc'd
 * message in *ret_err naming the pattern or file. *ret_compile_ns (may be NULL) receives the
 * compile time.
 */
int pl_policy_build_dlp(const struct pl_config *cfg, char *const *envp, struct pl_dlp_db **ret,
                        uint64_t *ret_compile_ns, char **ret_err);

/*
 * Compile the response (prompt-injection) database for cfg: the core floor always, the
 * standard built-ins when response_scanning is enabled and include_defaults, user patterns
 * merged by name. Returns 0, or -EINVAL / -ENOMEM with a malloc'd message in *ret_err.
 */
/*
 * Would pl_policy_build_dlp() build the same database from b as from a (same patterns,
 * canaries, seed-phrase settings, environment scanning)? False whenever a secrets file is
 * named: its content may have changed. Lets a reload keep the compiled database.
 */
bool pl_policy_dlp_inputs_equal(const struct pl_config *a, const struct pl_config *b);

int pl_policy_build_inject(const struct pl_config *cfg, struct pl_inject_db **ret, char **ret_err);

/*
 * True when an environment variable is a secret under the reference rules: value of at
 * least min_len bytes with Shannon entropy > 3.0, and a name that is not one of the
 * well-known non-secret variables (PATH, HOME, LC_*, XDG_*, ...).
 */
bool pl_policy_env_is_secret(struct pl_str name, struct pl_str value, int min_len);

#endif
