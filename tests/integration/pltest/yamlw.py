"""A tiny YAML writer for test configs (block style; strings double-quoted JSON-style).

We do not depend on PyYAML: it is not among the packages the project installs."""

import json


def _scalar(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    raise TypeError(f"cannot render {type(v).__name__} as a YAML scalar")


def dump(obj, indent=0):
    """Render a dict of dicts/lists/scalars as block YAML text ending in a newline."""
    pad = "  " * indent
    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, dict):
                if v:
                    lines.append(f"{pad}{k}:")
                    lines.append(dump(v, indent + 1).rstrip("\n"))
                else:
                    lines.append(f"{pad}{k}: {{}}")
            elif isinstance(v, list):
                if not v:
                    lines.append(f"{pad}{k}: []")
                else:
                    lines.append(f"{pad}{k}:")
                    for item in v:
                        if isinstance(item, list):
                            raise TypeError("nested lists are not needed by the suite")
                        if isinstance(item, dict):
                            # "- " then the mapping's keys indented under the dash
                            body = dump(item, indent + 2).rstrip("\n").split("\n")
                            first = body[0].lstrip()
                            lines.append(f"{pad}  - {first}")
                            lines.extend(body[1:])
                        else:
                            lines.append(f"{pad}  - {_scalar(item)}")
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    else:
        raise TypeError("top level must be a dict")
    return "\n".join(lines) + "\n"


def deep_merge(base, over):
    """Return base updated recursively with over; a None value in over deletes the key."""
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out
