"""Browser tests run the page in Debian's Chromium through Selenium, against workers on the
shared broker: the integration tests' deployment and day fixtures."""

import shutil
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from tests.integration.conftest import day_file, deployment, services  # noqa: F401

CHROMEDRIVER = "/usr/bin/chromedriver"  # Debian's chromium-driver (scripts/browser.sh)


def chrome(width: int = 1280, height: int = 800) -> webdriver.Chrome:
    """A headless Chromium of Debian's, driven by its own chromedriver (nothing downloaded)."""
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    driver = chrome()
    try:
        yield driver
    finally:
        driver.quit()
