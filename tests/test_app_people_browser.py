"""The People tab in a browser (headless Chromium): a face per person, named people first; name a
person, merge two and see the count change, undo it; filter the map by person and place and colour it
by person. Real photos with synthetic faces (tests/people_corpus.py)."""

from __future__ import annotations

import pytest

from .browser import ARTIFACTS, browser_page, require_browser, serve_in_thread
from .people_corpus import add_faces, copy_workspace, make_photo_workspace

pytestmark = pytest.mark.slow
pytest.importorskip("fastapi")
from imgorg.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    require_browser()
    return make_photo_workspace(tmp_path_factory.mktemp("people-browser"))


def wait_status(page, text: str):
    page.wait_for_function(f"document.getElementById('people-status').textContent === {text!r}")


def people_shown(page) -> dict[int, tuple[str, str]]:
    """Each listed person: (name as shown, counts as shown), in the list's order."""
    out = {}
    for li in page.locator("#person-list li").all():
        person = int(li.get_attribute("data-person"))
        if person >= 0:
            out[person] = (li.locator(".name").inner_text(), li.locator(".meta").inner_text())
    return out


def map_points(page, expected: int):
    page.wait_for_function(f"document.getElementById('map-plot').dataset.points === '{expected}'")


def test_name_merge_and_undo_people_in_the_browser(bare, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    path = add_faces(copy_workspace(bare, tmp_path))
    with serve_in_thread(create_app(path)) as url, browser_page() as (page, errors):
        page.goto(url)
        map_points(page, 7)
        page.click("nav button[data-view=people]")
        page.wait_for_selector("#person-list li[data-person='0']")
        assert people_shown(page) == {0: ("person 0", "4 faces · 4 photos"), 1: ("person 1", "3 faces · 3 photos"),
                                      2: ("person 2", "1 face · 1 photo")}
        # every person's face is a real crop of their photo
        page.wait_for_function("[...document.querySelectorAll('#person-list img.face')].every((i) => i.complete && i.naturalWidth > 0)")
        assert page.locator("#person-photos figure").count() == 4  # the first person's photos are shown

        # name person 1: the named come first
        page.click("#person-list li[data-person='1']")
        page.wait_for_function("document.getElementById('person-name').textContent === 'person 1'")
        page.fill("#person-name-input", "Rui")
        page.click("#person-name-button")
        wait_status(page, "Named person 1 'Rui'")
        assert next(iter(people_shown(page).items())) == (1, ("Rui", "3 faces · 3 photos"))
        assert page.inner_text("#person-name") == "Rui"

        # merge person 2 (Rui in c.jpg, which the grouping split off) into Rui: the count goes from 3 to 4
        page.check("#person-list li[data-person='1'] input")
        page.check("#person-list li[data-person='2'] input")
        page.click("#people-merge")
        wait_status(page, "Merged people 1, 2 into person 1")
        page.wait_for_selector("#person-list li[data-person='2']", state="detached")
        assert people_shown(page) == {1: ("Rui", "4 faces · 4 photos"), 0: ("person 0", "4 faces · 4 photos")}
        assert page.locator("#face-gallery figure").count() == 4 and page.locator("#person-photos figure").count() == 4
        page.screenshot(path=str(ARTIFACTS / "app-people.png"))

        # the map: Rui's photos only, then Porto's; coloured by person
        page.select_option("#person-filter", label="Rui")
        page.click("nav button[data-view=map]")
        map_points(page, 4)
        page.select_option("#place-filter", label="Porto")
        map_points(page, 1)  # e.jpg: Rui in Porto
        page.select_option("#person-filter", value="")
        map_points(page, 2)
        page.select_option("#place-filter", value="")
        page.select_option("#map-colour", "person")
        map_points(page, 7)
        legend = "document.getElementById('map-plot').data.map((t) => t.name).sort().join('|')"
        page.wait_for_function(f"{legend} === 'Rui|no face|person 0'")

        # undo the merge: three people again
        page.click("nav button[data-view=people]")
        page.click("#people-undo")
        wait_status(page, "Undid: merged people 1, 2 into person 1")
        page.wait_for_selector("#person-list li[data-person='2']")
        assert people_shown(page)[1] == ("Rui", "3 faces · 3 photos") and len(people_shown(page)) == 3
        history = page.locator("#people-history li").all_inner_texts()
        assert [h.split(" · ")[0] for h in history] == ["named person 1 'Rui'", "merged people 1, 2 into person 1",
                                                       "undid: merged people 1, 2 into person 1"]
        assert page.locator("#people-history li.undone").count() == 1
    assert errors == []


def test_a_workspace_without_faces_says_how_to_get_them_in_the_browser(bare, tmp_path):
    with serve_in_thread(create_app(copy_workspace(bare, tmp_path))) as url, browser_page() as (page, errors):
        page.goto(url)
        map_points(page, 7)
        page.click("nav button[data-view=people]")
        page.wait_for_selector("#people-none:not([hidden])")
        assert "imgorg people WS" in page.inner_text("#people-none")
        assert page.is_hidden("#people-pane") and page.is_hidden("#person-filter-label")
        assert page.is_disabled("#map-colour option[value=person]") and page.is_visible("#place-filter-label")
    assert errors == []
