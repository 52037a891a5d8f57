"""Coverage and gaps page (to be built)."""

from response_atlas.ui.context import get_context, page_header

ctx = get_context()
page_header("Coverage and gaps", ctx)
