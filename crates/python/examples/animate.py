"""Animate a video with DeepMotion: python animate.py walk.mp4 out/

Settings come from DEEPMOTION_API_URL, DEEPMOTION_CLIENT_ID and
DEEPMOTION_CLIENT_SECRET, or the config file, as for the CLI.
"""

import sys
from typing import Any, Dict

from motionkit.deepmotion import Client
from motionkit.errors import MotionkitError


def show(event: Dict[str, Any]) -> None:
    if event["type"] == "progress":
        print(f"  {event['rid']}: step {event['step']:.0f} of {event['total']:.0f}")
    elif event["type"] == "saved":
        print(f"  saved {event['path']}")


def main(video: str, out_dir: str) -> int:
    client = Client()
    try:
        animation = client.animate(video, out_dir, formats=["bvh", "fbx"], on_event=show)
    except MotionkitError as error:
        print(f"error: {error}\nhint: {error.hint}", file=sys.stderr)
        return 1
    print(f"job {animation.rid}: {len(animation.files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
