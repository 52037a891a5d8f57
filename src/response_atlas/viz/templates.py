"""How folium's elements turn into HTML: data is never parsed as a template on the server.

folium renders each layer with its own template, then wraps the result in
``branca.element.Element(text)``, which parses that text as a jinja template a second time. Data
inside it (an area name, a tooltip, an incident code) is then evaluated on the server: in a map's
standalone HTML (``get_root().render()``), an area named ``{{ 7*7 }}`` showed as 49, and a jinja
expression can reach Python objects. (st_folium sends the layer scripts without that second
pass, so the running app showed the text; its header and body parts do go through it.) This
module makes ``Element(text)`` keep such text literal on every path. It is imported by
``response_atlas.viz`` itself, so no map is built before it applies.
"""

from __future__ import annotations

import functools
import types

import branca.element
from jinja2 import Template


@functools.lru_cache(maxsize=64)
def _compiled_template(source: str) -> Template:
    """One compiled jinja template per template text."""
    return Template(source)


class RenderedText:
    """HTML or script folium has already rendered, kept as it is (never parsed again)."""

    module = types.SimpleNamespace()  # no macros (branca looks them up on templates)

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self, *args, **kwargs) -> str:
        return self.text


# The only real template branca or folium passes to ``Element(...)``: ``branca.element.Div``'s
# loop over its children (a test renders a Div, so a changed library text is noticed).
LIBRARY_ELEMENT_TEMPLATES = frozenset({
    "{% for name, element in this._children.items() %}{{element.render(**kwargs)}}{% endfor %}",
})


def element_template(source: str) -> Template | RenderedText:
    """What ``Element(text)`` renders: branca's own loop template, else ``text`` literally
    (which also spares a template compile per element, about forty per map)."""
    if source in LIBRARY_ELEMENT_TEMPLATES:
        return _compiled_template(source)
    return RenderedText(source)


# ``Element.__init__`` is the only run-time caller of this name in branca (class templates were
# compiled from library text when branca was imported).
branca.element.Template = element_template
