"""The HTML report renders in a real headless browser: no console errors, every image loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safedl.pipeline.run import run_profile
from safedl.profiles import profile_from_dict

PROFILE = {
    "name": "html",
    "threat_model": {"preset": "traffic-sign"},
    "training": {"epochs": 3, "lr": 0.003},
    "attacks": [
        {"name": "fgsm", "params": {"eps": 0.2}},
        {"name": "pgd", "params": {"eps": 0.2, "steps": 5}},
    ],
    "evaluation": {"samples": 40, "curve_samples": 30, "check_samples": 30},
}


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_profile(profile_from_dict(PROFILE), out=tmp_path_factory.mktemp("r") / "run").run_dir


def test_report_is_self_contained(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    assert "Executive summary" in html and "Reproducibility appendix" in html
    assert "Threat and attacker model" in html and "Risk matrix" in html
    assert 'src="data:image/png;base64,' in html
    for external in ('src="http', 'href="http', "<script src", "<link "):
        assert external not in html


def test_report_renders_in_chromium(run_dir: Path, tmp_path: Path) -> None:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("chromium and chromedriver are needed: run scripts/setup.sh --dev")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    try:
        browser.get((run_dir / "report.html").resolve().as_uri())
        assert "Safe-DL assessment" in browser.title
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
        )
        assert len(images) >= 3
        assert all(done and width > 0 for done, width in images), images
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        text = browser.find_element("tag name", "body").text
        assert "Executive summary" in text and "Validity findings" in text
    finally:
        browser.quit()
