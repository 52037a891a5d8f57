"""About and methods page (to be built)."""

from response_atlas.ui.context import get_context, page_header

ctx = get_context()
page_header("About and methods", ctx)
