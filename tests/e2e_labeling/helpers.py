"""Steps the labeling tests share: open the page, read which item it shows, wait for the next."""

from playwright.sync_api import Page

from datasets.models import Item
from projects.models import Project


def open_labeling(page: Page, project: Project, query: str = "") -> Item:
    page.goto(f"/projects/{project.pk}/label/{query}")
    page.wait_for_selector("#lp-content:not([data-item=''])")
    return shown_item(page)


def shown_item(page: Page) -> Item:
    return Item.objects.get(pk=int(page.locator("#lp-content").get_attribute("data-item")))


def wait_for_another_item(page: Page, previous: Item) -> Item | None:
    """The next item once the page shows it and the server confirmed every submit, or None
    when the page says nothing is left."""
    page.wait_for_function(
        "old => { const c = document.getElementById('lp-content');"
        " return c.dataset.item !== String(old) && c.getAttribute('aria-busy') !== 'true'"
        " && window.gwLabeling.pending() === 0; }",
        arg=previous.pk,
    )
    item_id = page.locator("#lp-content").get_attribute("data-item")
    return Item.objects.get(pk=int(item_id)) if item_id else None


def label_button(page: Page, name: str):
    return page.locator(f".lp-label[data-label='{name}']")


WORD_BOX = """([word, nth]) => {
  const box = document.getElementById('lp-span-text');
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let seen = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('.lp-tag')) continue;
    let at = node.data.indexOf(word);
    while (at >= 0) {
      if (seen++ === nth) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + word.length);
        const r = range.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
      }
      at = node.data.indexOf(word, at + 1);
    }
  }
  return null;
}"""


def word_box(page: Page, word: str, nth: int = 0) -> dict:
    """Where ``word`` is drawn in the item's text, in viewport pixels."""
    box = page.evaluate(WORD_BOX, [word, nth])
    assert box, f"{word!r} is not in the text"
    return box


def drag_over(page: Page, first: str, last: str) -> None:
    """Select from the start of ``first`` to the end of ``last`` with the mouse."""
    start, end = word_box(page, first), word_box(page, last)
    y1, y2 = (start["top"] + start["bottom"]) / 2, (end["top"] + end["bottom"]) / 2
    page.mouse.move(start["left"] + 1, y1)
    page.mouse.down()
    page.mouse.move(end["right"] - 1, y2, steps=5)
    page.mouse.up()


def double_click_word(page: Page, word: str) -> None:
    box = word_box(page, word)
    page.mouse.dblclick((box["left"] + box["right"]) / 2, (box["top"] + box["bottom"]) / 2)
