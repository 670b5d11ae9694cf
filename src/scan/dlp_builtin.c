/*
 * The built-in DLP patterns: the core floor that no configuration can disable, and the 48
 * standard patterns the reference compiles in (detection-facts §1, pipelock-behaviour §4.5).
 * Regexes are written in the syntax vectorscan and PCRE2 share; every one is matched
 * case-insensitively, as the reference prepends (?i) to each. The order is the reference's:
 * within one scanned target the first pattern in this order is the one reported.
 */
#include "scan/dlp.h"

#include <string.h>

#define B58 "[1-9A-HJ-NP-Za-km-z]"

/* The core patterns, shared by the core floor and the standard table (same regex). */
#define RE_AWS_ID "(?:AKIA|A3T|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16,}"
#define RE_AWS_SECRET                                                                      \
    "(?:aws_secret_access_key|secret.?access.?key|SecretAccessKey)\\s*[\"'=:\\s]{1,5}\\s*" \
    "[A-Za-z0-9/+=]{40}"
#define RE_GITHUB      "gh[pousr]_[A-Za-z0-9_]{36,}"
#define RE_GITHUB_PAT  "github_pat_[a-zA-Z0-9_]{36,}"
#define RE_GITLAB      "glpat-[a-zA-Z0-9\\-_]{20,}"
#define RE_SLACK       "xox[bpras]-[0-9a-zA-Z-]{15,}"
#define RE_PRIVATE_KEY "-----BEGIN\\s+(?:RSA\\s+|EC\\s+|DSA\\s+|OPENSSH\\s+)?PRIVATE\\s+KEY-----"

const struct pl_dlp_def pl_dlp_core_defs[] = {
    {"AWS Access ID", RE_AWS_ID, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"AWS Secret Key", RE_AWS_SECRET, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"GCP Service Account Key", "\"type\"\\s*:\\s*\"service_account\"", PL_SEV_CRITICAL,
     PL_VALIDATOR_NONE},
    {"GitHub Token", RE_GITHUB, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"GitHub Fine-Grained PAT", RE_GITHUB_PAT, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"GitLab PAT", RE_GITLAB, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Slack Token", RE_SLACK, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Private Key Header", RE_PRIVATE_KEY, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
};
const size_t pl_dlp_core_count = PL_ARRAY_SIZE(pl_dlp_core_defs);

const struct pl_dlp_def pl_dlp_builtin_defs[] = {
    {"Anthropic API Key", "sk-ant-[a-zA-Z0-9\\-_]{10,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"OpenAI API Key", "sk-proj-[a-zA-Z0-9\\-_]{10,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"OpenAI Service Key", "sk-svcacct-[a-zA-Z0-9\\-]{10,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Fireworks API Key", "fw_[a-zA-Z0-9]{24,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Google API Key", "AIza[0-9A-Za-z\\-_]{35}", PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"Google OAuth Client Secret", "GOCSPX-[A-Za-z0-9_\\-]{28,}", PL_SEV_CRITICAL,
     PL_VALIDATOR_NONE},
    {"Stripe Key", "[sr]k[-_](?:live|test)[-_][a-zA-Z0-9]{20,}", PL_SEV_CRITICAL,
     PL_VALIDATOR_NONE},
    {"Stripe Webhook Secret", "whsec_[a-zA-Z0-9_\\-]{20,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"GitHub Token", RE_GITHUB, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"GitHub Fine-Grained PAT", RE_GITHUB_PAT, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"GitLab PAT", RE_GITLAB, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"AWS Access ID", RE_AWS_ID, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"AWS Secret Key", RE_AWS_SECRET, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Google OAuth Token", "ya29\\.[a-zA-Z0-9_-]{20,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Slack Token", RE_SLACK, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Slack App Token", "xapp-[0-9]+-[A-Za-z0-9_]+-[0-9]+-[a-f0-9]+", PL_SEV_CRITICAL,
     PL_VALIDATOR_NONE},
    {"Discord Bot Token", "[MN][A-Za-z0-9]{23,}\\.[A-Za-z0-9\\-_]{6}\\.[A-Za-z0-9\\-_]{27,}",
     PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Twilio API Key", "SK[a-f0-9]{32}", PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"SendGrid API Key", "SG\\.[a-zA-Z0-9_-]{22}\\.[a-zA-Z0-9_-]{43}", PL_SEV_CRITICAL,
     PL_VALIDATOR_NONE},
    {"Mailgun API Key", "key-[a-zA-Z0-9]{32}", PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"New Relic API Key", "NRAK-[A-Z0-9]{27,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Hugging Face Token", "hf_[A-Za-z0-9]{20,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Databricks Token", "dapi[a-z0-9]{30,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Replicate API Token", "r8_[A-Za-z0-9]{20,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Together AI Key", "tok_[a-z0-9]{40,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Pinecone API Key", "pcsk_[a-zA-Z0-9]{36,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Groq API Key", "gsk_[a-zA-Z0-9]{48,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"xAI API Key", "xai-[a-zA-Z0-9\\-_]{80,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"DigitalOcean Token", "dop_v1_[a-f0-9]{64}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"HashiCorp Vault Token", "hvs\\.[a-zA-Z0-9]{23,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Vercel Token", "(?:vercel|vc[piark])_[a-zA-Z0-9]{24,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Supabase Service Key", "sb_secret_[a-zA-Z0-9_-]{20,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"npm Token", "npm_[A-Za-z0-9]{36,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"PyPI Token", "pypi-[A-Za-z0-9_-]{16,}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Linear API Key", "lin_api_[a-zA-Z0-9]{40,}", PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"Notion API Key", "ntn_[a-zA-Z0-9]{40,}", PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"Sentry Auth Token", "sntrys_[a-zA-Z0-9]{40,}", PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"Private Key Header", RE_PRIVATE_KEY, PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"JWT Token", "(?:ey[a-zA-Z0-9_\\-=]{10,}\\.){2}[a-zA-Z0-9_\\-=]{10,}", PL_SEV_HIGH,
     PL_VALIDATOR_NONE},
    {"Bitcoin WIF Private Key", "(?:5" B58 "{50}|[KL]" B58 "{51})", PL_SEV_CRITICAL,
     PL_VALIDATOR_WIF},
    {"Extended Private Key", "[xyzt]prv" B58 "{107,108}", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Ethereum Private Key", "0x[0-9a-f]{64}\\b", PL_SEV_CRITICAL, PL_VALIDATOR_NONE},
    {"Social Security Number", "\\b\\d{3}-\\d{2}-\\d{4}\\b", PL_SEV_LOW, PL_VALIDATOR_NONE},
    {"Google OAuth Client ID", "[0-9]{6,}-[0-9A-Za-z_]{32}\\.apps\\.googleusercontent\\.com",
     PL_SEV_MEDIUM, PL_VALIDATOR_NONE},
    {"Credential in URL",
     "(?:^|[?&;])\\s*(?:password|passwd|secret|token|apikey|api_key|api-key)\\s*=\\s*[^\\s&]{4,}",
     PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"Environment Variable Secret",
     "(?-i:[A-Z][A-Z0-9]*[_-](?:SECRET(?:[_-]ACCESS)?[_-]?KEY|SECRET|PASSWORD|PASSWD|TOKEN|"
     "API[_-]?KEY))\\b\\s*=\\s*\\S{8,}",
     PL_SEV_HIGH, PL_VALIDATOR_NONE},
    {"Credit Card Number", "\\b\\d{4}(?:[- ]?\\d){11,15}\\b", PL_SEV_MEDIUM, PL_VALIDATOR_LUHN},
    {"IBAN", "\\b[A-Z]{2}\\d{2}[A-Z0-9]{11,30}\\b", PL_SEV_MEDIUM, PL_VALIDATOR_MOD97},
};
const size_t pl_dlp_builtin_count = PL_ARRAY_SIZE(pl_dlp_builtin_defs);

size_t
pl_dlp_builtin_specs(struct pl_dlp_spec *out, bool with_standard, size_t *ret_first_std)
{
    size_t n = 0;
    for (size_t i = 0; i < pl_dlp_core_count; i++) {
        const struct pl_dlp_def *d = &pl_dlp_core_defs[i];
        out[n++] = (struct pl_dlp_spec){d->name, d->regex, d->severity, d->validator,
                                        true,    false,    NULL,        0};
    }
    if (ret_first_std)
        *ret_first_std = n;
    for (size_t i = 0; with_standard && i < pl_dlp_builtin_count; i++) {
        const struct pl_dlp_def *d = &pl_dlp_builtin_defs[i];
        bool dup = false;
        for (size_t k = 0; k < pl_dlp_core_count; k++)
            dup |= !strcmp(d->name, pl_dlp_core_defs[k].name) &&
                   !strcmp(d->regex, pl_dlp_core_defs[k].regex);
        if (!dup)
            out[n++] = (struct pl_dlp_spec){d->name, d->regex, d->severity, d->validator,
                                            false,   false,    NULL,        0};
    }
    return n;
}
