"""Render a MotionDynamic theme: python generate.py THEME_ID out/ key=value...

Settings come from MOTIONDYNAMIC_API_URL and MOTIONDYNAMIC_TOKEN, or the
config file, as for the CLI.
"""

import sys
from typing import Dict, List

from motionkit.motiondynamic import Client
from motionkit.validation import check_values


def main(theme_id: str, out_dir: str, pairs: List[str]) -> int:
    values: Dict[str, str] = dict(pair.split("=", 1) for pair in pairs)
    client = Client()
    problems = [f for f in check_values(client.theme(theme_id), values) if f.blocks]
    for finding in problems:
        print(f"error: {finding}", file=sys.stderr)
    if problems:
        return 2
    rendered = client.generate(theme_id, values, out_dir)
    print(f"generation {rendered.generation_id}: {rendered.path} ({rendered.bytes} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
