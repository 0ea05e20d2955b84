"""`make screenshot`: the on-call page on demo data, as a picture (docs/oncall-page.png).

Starts a worker on the local Kafka and Redis (`make services-up`) under a topic prefix of its
own, sends it the demo day, signs in to its page in Debian's headless Chromium and saves the
page at 1280 pixels wide, as tall as its panels; then stops the worker and drops its topics.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from stream.topics import drop_topics  # noqa: E402

VIGIL = str(ROOT / ".venv" / "bin" / "vigil")
OUT = ROOT / "docs" / "oncall-page.png"
SCALE = os.environ.get("SCREENSHOT_SCALE", "0.25")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    prefix = f"shot-{uuid.uuid4().hex[:8]}."
    token = uuid.uuid4().hex
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="vigil-shot-"))
    env = {
        **os.environ,
        "VIGIL_TOPIC_PREFIX": prefix,
        "VIGIL_APP_ID": f"vigil-{prefix.rstrip('.')}",
        "VIGIL_DATA_DIR": str(tmp / "data"),
        "VIGIL_API_TOKEN": token,
        "VIGIL_WEB_PORT": str(port),
        "VIGIL_QUALITY_PUBLISH_SECONDS": "1",
    }
    day = tmp / "day.jsonl"
    subprocess.run([VIGIL, "demo", "--scale", SCALE, "--write", str(day)], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    log = (tmp / "worker.log").open("wb")
    worker = subprocess.Popen([VIGIL, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while b"Worker]: Ready" not in Path(log.name).read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker did not start: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.5)
        subprocess.run([VIGIL, "produce", str(day)], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        shoot(port, token)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        asyncio.run(drop_topics("127.0.0.1:9092", (prefix, env["VIGIL_APP_ID"] + "-")))
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {OUT}")


def shoot(port: int, token: str) -> None:
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--hide-scrollbars"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"http://127.0.0.1:{port}/board")
        driver.find_element(By.ID, "name").send_keys("on-call")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "form button").click()

        def settled(d: webdriver.Chrome) -> bool:  # the day's incidents, queues and figures
            return bool(
                d.find_elements(By.CSS_SELECTOR, "#incidents article")
                and d.find_elements(By.CSS_SELECTOR, "#queues tbody tr")
                and d.find_elements(By.CSS_SELECTOR, "#rules tbody tr")
                and d.find_elements(By.CSS_SELECTOR, "#quality tbody tr")
            )

        WebDriverWait(driver, 240, poll_frequency=1).until(settled)
        time.sleep(4)  # the last trend alerts and statuses of the day
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, max(800, int(height) + 20))
        time.sleep(2.5)  # one more poll at the new size
        OUT.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(OUT))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
