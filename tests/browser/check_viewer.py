"""Load the viewer in headless Chromium, screenshot two frames, check the page is not blank and
the humanoid moved. Usage: check_viewer.py URL OUT_DIR [--save-screenshot PNG]."""

import argparse
import sys

import imageio.v2 as imageio
import numpy as np
from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--disable-gpu-sandbox", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out_dir")
    parser.add_argument("--save-screenshot")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 960, "height": 600})
        page.goto(args.url + "?frame=0")
        page.wait_for_function("window.viewerReady === true || window.viewerError !== undefined", timeout=60000)
        error = page.evaluate("window.viewerError")
        if error:
            print(f"viewer error: {error}")
            return 1
        shots = []
        for frame in (0, 45):
            page.evaluate(f"window.viewer.follow = false; window.viewer.setFrame({frame}); window.viewer.render()")
            page.wait_for_timeout(300)
            path = f"{args.out_dir}/frame{frame}.png"
            page.screenshot(path=path)
            shots.append(imageio.imread(path)[..., :3].astype(np.float32))
        if args.save_screenshot:
            page.evaluate("window.viewer.follow = true; window.viewer.setFrame(30); window.viewer.render()")
            page.wait_for_timeout(300)
            page.screenshot(path=args.save_screenshot)
        browser.close()
    a, b = shots
    spread, moved = float(a.std()), float(np.abs(a - b).mean())
    print(f"pixel std {spread:.1f}, mean change between frames {moved:.2f}")
    if spread < 5.0:
        print("FAIL: the page looks blank")
        return 1
    if moved < 0.2:
        print("FAIL: the humanoid did not move between frames 0 and 45")
        return 1
    print("viewer OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
