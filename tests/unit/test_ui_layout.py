"""Table helpers of ui/layout.py."""

from __future__ import annotations

import pandas as pd

from response_atlas.ui.layout import separated_number_columns


def test_counts_get_thousands_separators_only_where_they_are_numbers():
    staff = pd.DataFrame({"Area": ["A"], "Residents": [17703.0], "Calls": [12345]})
    public = staff.assign(Calls=["fewer than 11"])
    settings = separated_number_columns(staff, ("Residents", "Calls", "Missing"))
    assert set(settings) == {"Residents", "Calls"}
    assert all(s["type_config"]["format"] == "localized" for s in settings.values())
    assert set(separated_number_columns(public, ("Residents", "Calls"))) == {"Residents"}
