"""Steps the labeling tests share: open the page, read which item it shows, wait for the next."""

from playwright.sync_api import Page

from projects.models import Item, Project


def open_labeling(page: Page, project: Project, query: str = "") -> Item:
    page.goto(f"/projects/{project.pk}/label/{query}")
    page.wait_for_selector("#lp-content:not([data-item=''])")
    return shown_item(page)


def shown_item(page: Page) -> Item:
    return Item.objects.get(pk=int(page.locator("#lp-content").get_attribute("data-item")))


def wait_for_another_item(page: Page, previous: Item) -> Item | None:
    """The next item once the page shows it, or None when the page says nothing is left."""
    page.wait_for_function(
        "old => { const c = document.getElementById('lp-content');"
        " return c.dataset.item !== String(old) && c.getAttribute('aria-busy') !== 'true'; }",
        arg=previous.pk,
    )
    item_id = page.locator("#lp-content").get_attribute("data-item")
    return Item.objects.get(pk=int(item_id)) if item_id else None


def label_button(page: Page, name: str):
    return page.locator(f".lp-label[data-label='{name}']")
