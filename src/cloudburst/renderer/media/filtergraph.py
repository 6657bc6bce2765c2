"""Writing option values (file paths) into ffmpeg filter graphs so they arrive exactly as given.

A filter graph is parsed twice (ffmpeg's "Quoting and escaping" rules): the graph parser splits filters on
'[', ']', ',' and ';' and unescapes once, then each filter splits its options on ':' and unescapes again.
A path must therefore be escaped for the option level (backslash before '\\', ''' and ':'), then the result
for the graph level (backslash before '\\', ''', '[', ']', ',' and ';'). A work directory named like
`it's a [test], x:y` then reaches libass intact.
"""

from __future__ import annotations

OPTION_SPECIALS = "\\':"
GRAPH_SPECIALS = "\\'[],;"


def escape_option_value(value: str) -> str:
    return "".join("\\" + char if char in OPTION_SPECIALS else char for char in value)


def escape_graph(text: str) -> str:
    return "".join("\\" + char if char in GRAPH_SPECIALS else char for char in text)


def filter_spec(name: str, **options: str) -> str:
    """'name=key=value:key=value' with every value escaped for both levels."""
    if not options:
        return name
    args = ":".join(f"{key}={escape_graph(escape_option_value(value))}" for key, value in options.items())
    return f"{name}={args}"
