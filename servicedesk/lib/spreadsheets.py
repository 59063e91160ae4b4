"""CSV cells a spreadsheet will open as text, never run as a formula."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value):
    """Text a spreadsheet will not run as a formula (CSV injection): a leading quote disarms it. Leading
    spaces do not hide a formula sign, and full-width signs count too. Numbers stay numbers."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip(" ").startswith(_FORMULA_START) else text
