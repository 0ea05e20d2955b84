"""The on-call page in a real browser, on two workers through Kafka: it loads, shows a new
incident without a reload, keeps an acknowledgement across a reload and on the other worker's
page, trips and resets a rule's breaker on the workers, and refuses whoever has no token."""

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.conftest import VIGIL, Deployment

from .conftest import chrome

RULE = "hate.model_remove"
CHALLENGE = "blackoutchallenge2"


def until(driver: webdriver.Chrome, what: Callable[[webdriver.Chrome], Any], timeout: float = 90):
    """Wait for what the page shows; the panels are redrawn as new figures come, so an
    element read a moment ago may be gone: looked for again."""
    wait = WebDriverWait(
        driver, timeout, poll_frequency=0.5, ignored_exceptions=[StaleElementReferenceException]
    )
    return wait.until(what)


def sign_in(driver: webdriver.Chrome, port: int, token: str, name: str) -> None:
    driver.get(f"http://127.0.0.1:{port}/board")
    driver.find_element(By.ID, "name").send_keys(name)
    token_field = driver.find_element(By.ID, "token")
    token_field.send_keys(token)
    token_field.send_keys(Keys.ENTER)  # the keyboard alone signs in
    until(driver, lambda d: d.find_elements(By.ID, "incidents"))


def incidents(driver: webdriver.Chrome) -> dict[str, str]:
    """Incident id -> the card's text, as the page shows it now."""
    cards = driver.find_elements(By.CSS_SELECTOR, "#incidents article[data-incident]")
    return {c.get_attribute("data-incident"): c.text for c in cards}


def act(driver: webdriver.Chrome, button: Callable[[webdriver.Chrome], Any], reason: str) -> None:
    """Press an action's button (found afresh: the panels are redrawn), give the reason in
    the dialog, confirm."""
    until(driver, lambda d: button(d).click() or True)
    until(driver, lambda d: d.find_element(By.ID, "act").get_attribute("open") is not None)
    driver.find_element(By.ID, "act-reason").send_keys(reason)
    driver.find_element(By.ID, "act-go").click()


def rule_row(driver: webdriver.Chrome) -> Any:
    return driver.find_element(By.CSS_SELECTOR, f'#rules tr[data-rule="{RULE}"]')


def test_the_page_is_live_shared_and_acts_on_the_workers(
    deployment: Deployment, day_file: Path, tmp_path: Path, browser: webdriver.Chrome
) -> None:
    _, port_a = deployment.start_worker()
    _, port_b = deployment.start_worker()
    # the page loads behind its sign-in, before anything happened
    sign_in(browser, port_a, deployment.token, "ana")
    until(browser, lambda d: "Nothing is spiking" in d.find_element(By.ID, "incidents").text)
    marker = browser.find_element(By.TAG_NAME, "header")  # the same document throughout

    # the day's incidents appear without a reload: the dangerous challenge among them
    deployment.produce(day_file)
    until(browser, lambda d: CHALLENGE in " ".join(incidents(d).values()))
    assert marker.is_displayed()  # not reloaded (a reload would make this element stale)
    until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#queues tr[data-queue]"))

    # an acknowledgement survives a reload and shows on the other worker's page
    challenge = next(i for i, t in incidents(browser).items() if CHALLENGE in t)
    ack = f'//article[@data-incident="{challenge}"]//button[text()="Acknowledge"]'
    act(browser, lambda d: d.find_element(By.XPATH, ack), "challenge, on it")
    until(browser, lambda d: "acknowledged by ana" in incidents(d).get(challenge, ""))
    browser.refresh()
    until(
        browser,
        lambda d: "acknowledged by ana: challenge, on it" in incidents(d).get(challenge, ""),
    )
    other = chrome(390, 844)  # and at a phone's width
    try:
        sign_in(other, port_b, deployment.token, "ben")
        until(other, lambda d: "acknowledged by ana" in incidents(d).get(challenge, ""))
    finally:
        other.quit()

    # a trip and a reset from the page reach the rule's breaker on the workers
    until(browser, lambda d: rule_row(d))
    act(browser, lambda d: rule_row(d).find_element(By.TAG_NAME, "button"), "checking the model")
    until(browser, lambda d: "held" in rule_row(d).text and "manual" in rule_row(d).text)
    reset = ".//button[text()='Reset']"
    act(browser, lambda d: rule_row(d).find_element(By.XPATH, reset), "fine")
    until(browser, lambda d: "reset: fine by ana" in rule_row(d).text)
    status = subprocess.run(
        [VIGIL, "rules", "status", "--kafka", "--json"],
        env=deployment.env(),
        capture_output=True,
        timeout=60,
    )
    newest = {s["rule_id"]: s for s in orjson.loads(status.stdout)}[RULE]
    assert (newest["mode"], newest["changed_by"]) == ("automatic", "ana")


def test_the_page_refuses_whoever_has_no_token(deployment: Deployment) -> None:
    _, port = deployment.start_worker()
    base = f"http://127.0.0.1:{port}/board"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + "/state", timeout=5)
    assert refused.value.code == 401
    wrong = urllib.request.Request(base + "/login", data=b"name=eve&token=guess", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(wrong, timeout=5)
    assert refused.value.code == 401
    # signed in, but without the session's CSRF token: refused too
    right = urllib.request.Request(
        base + "/login", data=f"name=eve&token={deployment.token}".encode(), method="POST"
    )
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as signed:
        opener.open(right, timeout=5)
    assert signed.value.code == 303
    cookie = signed.value.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and deployment.token not in cookie
    session = cookie.split(";", 1)[0]
    forged = urllib.request.Request(
        base + "/act",
        data=orjson.dumps({"action": "reset", "rule_id": RULE, "reason": "x"}),
        headers={"Cookie": session, "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=5)
    assert refused.value.code == 403
    state = urllib.request.Request(base + "/state", headers={"Cookie": session})
    assert "incidents" in orjson.loads(urllib.request.urlopen(state, timeout=5).read())
    # the token appears in no log line
    time.sleep(0.5)
    assert deployment.token.encode() not in (deployment.tmp / "worker-0.log").read_bytes()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
