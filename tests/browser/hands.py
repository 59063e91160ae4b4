"""How a person works a page: with the mouse, or by keyboard alone.

A journey is written once against `Hands`; `Mouse` clicks and fills as Playwright does, `Keyboard` only
presses keys (Tab, Shift+Tab, Enter, Space, the arrow keys) and types, reaching every control by Tab
from wherever focus is, as a keyboard user would. If a control cannot be reached by Tab within the
limit, or focus stops moving (a trap), `tab_to` fails and lists the stops it passed.
"""

from playwright.sync_api import expect

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "(page)";
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  const name = (el.getAttribute("aria-label") || label || el.innerText || el.value || el.name || "").trim();
  return `${el.tagName.toLowerCase()}${el.type ? "[" + el.type + "]" : ""} "${name.slice(0, 60)}"`;
}"""

_IS_FOCUSED = "element => element === document.activeElement"


def focused(page):
    """A short description of the focused element: tag, type and accessible name (roughly)."""
    return page.evaluate(_FOCUSED)


def is_focused(locator):
    return locator.evaluate(_IS_FOCUSED)


def tab_to(page, target, *, backwards=False, limit=150):
    """Press Tab (Shift+Tab if backwards) until `target` has focus.

    `target` is a Locator, or a function of the page returning True when focus is where it should be.
    Returns the number of presses. Fails listing the stops passed if it is not reached within `limit`
    or if focus stops moving.
    """
    matches = (lambda: target(page)) if callable(target) else (lambda: is_focused(target))
    if matches():
        return 0
    key = "Shift+Tab" if backwards else "Tab"
    stops = []
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if matches():
            return presses
        stops.append(focused(page))
        if len(stops) >= 3 and stops[-1] == stops[-2] == stops[-3] and stops[-1] != "(page)":
            raise AssertionError(f"Keyboard focus is stuck on {stops[-1]} (a trap); stops: {stops}")
    raise AssertionError(f"{target} not reached with {limit} presses of {key}; stops: {stops}")


class Mouse:
    keyboard = False

    def __init__(self, page):
        self.page = page

    def fill(self, locator, text):
        locator.fill(text)

    def check(self, locator):
        locator.check()

    def select(self, locator, label):
        locator.select_option(label=label)

    def press(self, locator, *, backwards=False):
        """Activate a button or follow a link (`backwards` only matters to the keyboard)."""
        locator.click()

    def upload(self, locator, files):
        locator.set_input_files(files)

    def menu(self, name, item, *, backwards=False):
        """Open the header's drop-down menu `name` and follow its link `item`."""
        self.page.get_by_role("button", name=name).click()
        self.page.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True).click()


class Keyboard:
    """Keys only: never a click, fill, check or select_option."""

    keyboard = True

    def __init__(self, page):
        self.page = page
        # Listening from the start has Playwright catch every file chooser the page opens, so that one
        # opened by a key press is never shown as a (headless, invisible) dialog instead.
        self._choosers = []
        page.on("filechooser", lambda chooser: self._choosers.append(chooser))

    def focus(self, locator, **kwargs):
        tab_to(self.page, locator, **kwargs)
        expect(locator).to_be_focused()

    def fill(self, locator, text):
        assert "\n" not in text, "Enter would submit the form from a text box"
        self.focus(locator)
        self.page.keyboard.press("ControlOrMeta+A")  # replace what is there, as a person would
        self.page.keyboard.type(text)
        expect(locator).to_have_value(text)

    def check(self, locator):
        """Tick a checkbox (Space), or choose a radio button: Tab into its group, then the arrow keys."""
        if locator.get_attribute("type") == "radio":
            self._choose_radio(locator)
        else:
            self.focus(locator)
            if not locator.is_checked():
                self.page.keyboard.press("Space")
        expect(locator).to_be_checked()

    def _choose_radio(self, locator):
        group = locator.get_attribute("name")
        in_group = (
            f"() => document.activeElement.type === 'radio' && document.activeElement.name === {group!r}"
        )
        tab_to(self.page, lambda page: page.evaluate(in_group))
        size = self.page.locator(f"input[type=radio][name={group!r}]").count()
        for _ in range(size):
            if is_focused(locator):
                break
            self.page.keyboard.press("ArrowDown")  # moves to the next choice and selects it
        expect(locator).to_be_focused()
        if not locator.is_checked():
            self.page.keyboard.press("Space")

    def select(self, locator, label):
        """Choose an option of a (closed) drop-down list with the arrow keys."""
        self.focus(locator)
        labels = locator.evaluate("select => Array.from(select.options, o => o.label)")
        wanted = labels.index(label)
        current = locator.evaluate("select => select.selectedIndex")
        key = "ArrowDown" if wanted > current else "ArrowUp"
        for _ in range(abs(wanted - current)):
            self.page.keyboard.press(key)
        assert locator.evaluate("select => select.options[select.selectedIndex].label") == label

    def press(self, locator, **kwargs):
        """Enter on a button or link."""
        self.focus(locator, **kwargs)
        self.page.keyboard.press("Enter")

    def menu(self, name, item, *, backwards=False):
        """Tab to the menu's button, Enter opens it, the arrow keys reach the link `item`, Enter follows."""
        self.press(self.page.get_by_role("button", name=name), backwards=backwards)
        link = self.page.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True)
        for _ in range(10):
            self.page.keyboard.press("ArrowDown")
            if is_focused(link):
                break
        expect(link).to_be_focused()
        self.page.keyboard.press("Enter")

    def upload(self, locator, files):
        """Space on the file field opens the file chooser; the test picks the files in it."""
        self.focus(locator)
        self._choosers.clear()
        self.page.keyboard.press("Space")
        for _ in range(50):
            if self._choosers:
                break
            self.page.wait_for_timeout(100)
        assert self._choosers, "Space on the file field opened no file chooser"
        self._choosers.pop().set_files(files)


def hands_for(mode, page):
    return {"mouse": Mouse, "keyboard": Keyboard}[mode](page)
