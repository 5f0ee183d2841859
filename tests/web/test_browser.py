"""The page in a real headless browser (Debian's chromium driven by Playwright) against ``brushwork serve``.

Set ``BRUSHWORK_WEB_SCREENSHOT=/path/shot.png`` to save a screenshot of the page with its result.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get where it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server_process):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server_process.http.base + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_upload_paint_and_download(page, tmp_path: Path) -> None:
    from skimage import data

    from brushwork.imageio import read_image, save_image

    photo = tmp_path / "astronaut.png"
    save_image(np_to_tensor(data.astronaut()), photo)
    page.set_input_files("#content-input", str(photo))
    assert page.inner_text("#content-name") == "astronaut.png"
    page.select_option("#method", "vangogh")
    assert page.is_disabled("#style-input")  # the shipped model needs no painting
    page.eval_on_selector("#size", "el => { el.value = 384; el.dispatchEvent(new Event('input')); }")
    assert page.inner_text("#size-value") == "384"
    page.click("#go")
    page.wait_for_selector("#download:not([hidden])", timeout=120_000)
    assert page.inner_text("#message").startswith("Done in")
    width = page.eval_on_selector("#result", "img => img.complete ? img.naturalWidth : 0")
    assert width == 384
    assert page.eval_on_selector("#input-preview", "img => img.naturalWidth") == 512
    if shot := os.environ.get("BRUSHWORK_WEB_SCREENSHOT"):
        page.screenshot(path=shot, full_page=True)
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "download.png"
    download.value.save_as(saved)
    result = read_image(saved)  # the download decodes as an image, at the chosen size
    assert result.size == (384, 384)
    assert float(result.rgb.std()) > 0.05


def test_drag_and_drop_a_photo(page, small_png: bytes) -> None:
    dropped = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
            return transfer;
        }""",
        base64.b64encode(small_png).decode(),
    )
    page.dispatch_event("#content-drop", "drop", {"dataTransfer": dropped})
    assert page.inner_text("#content-name") == "dropped.png"
    assert page.eval_on_selector("#content-input", "el => el.files.length") == 1
    page.select_option("#method", "vangogh")
    page.eval_on_selector("#size", "el => { el.value = 128; el.dispatchEvent(new Event('input')); }")
    page.click("#go")
    page.wait_for_selector("#download:not([hidden])", timeout=120_000)
    assert page.eval_on_selector("#result", "img => img.naturalWidth") == 128


def test_a_bad_upload_shows_the_message(page, tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture at all")
    page.set_input_files("#content-input", str(text))
    page.select_option("#method", "vangogh")
    page.click("#go")
    page.wait_for_selector("#message.error", timeout=30_000)
    assert "notes.jpg: not an image" in page.inner_text("#message")
    assert page.is_enabled("#go")


def test_methods_needing_a_painting_ask_for_one(page, tmp_path: Path) -> None:
    from skimage import data

    from brushwork.imageio import save_image

    photo = tmp_path / "coffee.png"
    save_image(np_to_tensor(data.coffee()), photo)
    page.set_input_files("#content-input", str(photo))
    page.select_option("#method", "gatys")
    assert page.is_enabled("#style-input")
    assert page.get_attribute("#strength", "max") == "5"
    page.click("#go")
    assert "needs a painting" in page.inner_text("#message")


def test_gatys_shows_progress_and_can_be_cancelled(page, tmp_path: Path) -> None:
    from skimage import data

    from brushwork.imageio import save_image
    from brushwork.samples import swirl_painting

    photo, painting = tmp_path / "coffee.png", tmp_path / "swirl.png"
    save_image(np_to_tensor(data.coffee()), photo)
    save_image(swirl_painting(256), painting)
    page.set_input_files("#content-input", str(photo))
    page.select_option("#method", "gatys")
    page.set_input_files("#style-input", str(painting))
    page.eval_on_selector("#size", "el => { el.value = 256; el.dispatchEvent(new Event('input')); }")
    page.click("#go")
    from playwright.sync_api import expect

    expect(page.locator("#message")).to_have_text(re.compile(r"^Painting: step \d+ of \d+"), timeout=180_000)
    assert page.is_visible("#progress") and page.is_visible("#cancel")
    assert float(page.get_attribute("#progress", "max")) > 1
    page.click("#cancel")
    expect(page.locator("#message")).to_have_text("Cancelled.", timeout=60_000)
    assert page.is_enabled("#go") and page.is_hidden("#cancel")
    assert page.get_attribute("#result", "src") is None


def test_previews_follow_the_choices_and_give_way_to_the_painting(page, tmp_path: Path, shared_data) -> None:
    from skimage import data

    from brushwork.imageio import save_image

    photo = tmp_path / "chelsea.png"
    save_image(np_to_tensor(data.chelsea()), photo)  # 451 x 300
    page.set_input_files("#content-input", str(photo))
    page.select_option("#method", "vangogh")
    page.wait_for_selector("#after-label:has-text('preview (vangogh')", timeout=60_000)
    assert page.eval_on_selector("#result", "img => img.naturalWidth") == 384
    assert page.is_hidden("#download")  # a preview is not the painting
    page.select_option("#method", "fast")  # needs a painting: the next preview waits for one
    page.set_input_files("#style-input", str(shared_data / "styles" / "candy.jpg"))
    page.wait_for_selector("#after-label:has-text('preview (fast')", timeout=60_000)
    page.eval_on_selector("#size", "el => { el.value = 256; el.dispatchEvent(new Event('input')); }")
    page.click("#go")
    page.wait_for_selector("#download:not([hidden])", timeout=120_000)
    assert page.inner_text("#after-label") == "after"
    assert page.eval_on_selector("#result", "img => img.naturalWidth") == 256


def np_to_tensor(array: np.ndarray):
    import torch

    return torch.from_numpy(array).permute(2, 0, 1)[None].float() / 255.0
