/* `pipelock generate config --preset X`: config presets rendered as YAML. */
#ifndef PL_GEN_PRESET_H
#define PL_GEN_PRESET_H

#include "util/common.h"

/*
 * Render a preset ("balanced", "strict", "audit") as commented YAML that pl_config_load_*
 * accepts and that loads to the preset's values (reference §1.5: balanced = Defaults(),
 * strict = + mode strict, entropy 3.5/3.5, max_url_length 500, 30 req/min; audit = + mode
 * audit, enforce false). generator_line is put in the header comment. Returns a malloc'd
 * string, or NULL for an unknown preset.
 */
char *pl_gen_preset_yaml(const char *preset, const char *generator_line);

#endif
