"""Generated files (launch scripts, conanfiles, domain XML) from the jinja2
templates in ``ukbuild/templates``. Quoting is the templates' business:
``shquote`` for shell words, autoescaping for XML."""

from __future__ import annotations

import shlex
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def option_groups(words):
    """Group a command line as options with their values, for one per line."""
    groups: list[list[str]] = []
    for word in words:
        if word.startswith("-") or not groups:
            groups.append([word])
        else:
            groups[-1].append(word)
    return groups


def toml_value(value) -> str:
    """``value`` as TOML: strings literal ('...') where they can be, so
    that regular expressions read as written; tables inline."""
    import json
    import re

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if "'" not in value and not re.search(r"[\x00-\x1f\x7f]", value):
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', k) else toml_value(k)} = {toml_value(v)}"
                 for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"no TOML for {value!r}")


@lru_cache(maxsize=1)
def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("xml", "xml.j2"),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["shquote"] = lambda word: shlex.quote(str(word))
    env.filters["pairs"] = option_groups
    env.filters["pyrepr"] = repr
    env.filters["toml"] = toml_value
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def template_path(template: str) -> Path:
    return TEMPLATES / template
