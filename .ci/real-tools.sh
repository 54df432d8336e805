#!/usr/bin/env bash
# The sandbox's outputs opened with the tools people use: a video and a
# picture are animated through the embedded sandbox in every output format,
# and each file is checked with assimp (`assimp info`, `assimp dump`),
# ffmpeg/ffprobe and the Khronos glTF-Validator (npm `gltf-validator`):
# bone counts equal to the BVH's, one animation, frame counts equal to the
# BVH's (within 2), video durations equal to frames / frame rate (within
# 0.1 s), 0 validator errors, and ffmpeg decoding every video and picture
# without a word. `.ci/run` installs the tools; nothing leaves this machine.
#
# Runs alone too: .ci/real-tools.sh [path/to/motionkit]
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in assimp ffmpeg ffprobe node npm python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "real-tools: $tool is missing (.ci/run installs it)" >&2
        exit 1
    fi
done
NODE_PATH="$(npm root -g)"
export NODE_PATH
if ! node -e "require('gltf-validator')" >/dev/null 2>&1; then
    echo "real-tools: the npm package gltf-validator is missing (.ci/run installs it)" >&2
    exit 1
fi
target_dir="$(cargo metadata --format-version 1 --no-deps --locked |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
motionkit="${1:-$target_dir/debug/motionkit}"
if [ ! -x "$motionkit" ]; then
    cargo build --quiet --locked -p motionkit-cli
    motionkit="$target_dir/debug/motionkit"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
: >"$work/empty.toml"
export MOTIONKIT_CONFIG="$work/empty.toml"
unset DEEPMOTION_API_URL DEEPMOTION_CLIENT_ID DEEPMOTION_CLIENT_SECRET

"$motionkit" --sandbox --quiet animate tests/fixtures/walk.mp4 \
    --formats bvh,fbx,glb,mp4 --out "$work/video" >/dev/null
"$motionkit" --sandbox --quiet animate tests/fixtures/pose.png \
    --formats bvh,fbx,glb,mp4,png,jpg --out "$work/picture" >/dev/null

cat >"$work/validate.js" <<'JS'
// Prints the Khronos glTF-Validator's error count for each file given.
const fs = require('fs');
const validator = require('gltf-validator');
(async () => {
    for (const file of process.argv.slice(2)) {
        const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)));
        for (const m of report.issues.messages.filter((m) => m.severity === 0)) {
            console.error(`${file}: ${m.code} ${m.pointer || ''} ${m.message}`);
        }
        console.log(`${file} ${report.issues.numErrors}`);
    }
})().catch((e) => { console.error(e); process.exit(1); });
JS

python3 - "$work" <<'PY'
import pathlib, re, subprocess, sys
import xml.etree.ElementTree as ET

work = pathlib.Path(sys.argv[1])
failures = []

def run(*args):
    done = subprocess.run(args, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)

def assimp_info(path):
    code, out = run("assimp", "info", str(path))
    counts = dict(re.findall(r"^(Bones|Animations|Meshes):\s+(\d+)", out, re.M))
    return code, {k: int(v) for k, v in counts.items()}, out

def assimp_frames(path):
    """The most keys any channel of the file's animations has."""
    dump = work / (path.name + ".assxml")
    code, out = run("assimp", "dump", str(path), str(dump))
    if code != 0:
        return None
    keys = [int(k.get("num")) for k in ET.parse(dump).iter()
            if k.tag in ("PositionKeyList", "RotationKeyList")]
    return max(keys, default=0)

def one(folder, pattern):
    found = sorted(folder.rglob(pattern))
    check(len(found) == 1, f"{folder.name}: one {pattern} ({[str(f) for f in found]})")
    return found[0] if found else None

validated = {}
glbs = sorted(str(p) for p in work.rglob("*.glb"))
code, out = run("node", str(work / "validate.js"), *glbs)
check(code == 0, "gltf-validator ran" + ("" if code == 0 else f": {out.strip()[-300:]}"))
for line in out.splitlines():
    parts = line.rsplit(" ", 1)
    if len(parts) == 2 and parts[1].isdigit():
        validated[parts[0]] = int(parts[1])
    elif line.strip():
        print("     " + line)

for folder in (work / "video", work / "picture"):
    bvh = one(folder, "*.bvh")
    if bvh is None:
        continue
    text = bvh.read_text()
    frames = int(re.search(r"^Frames:\s*(\d+)", text, re.M).group(1))
    frame_time = float(re.search(r"^Frame Time:\s*([0-9.]+)", text, re.M).group(1))
    code, info, out = assimp_info(bvh)
    bones = info.get("Bones", -1)
    check(code == 0 and bones > 0, f"{bvh.name}: assimp loads it ({bones} bones, {frames} frames)")
    expected_frames = frames if folder.name == "video" else 1
    check(frames == expected_frames, f"{bvh.name}: {frames} frames, {expected_frames} expected")
    for kind in ("fbx", "glb"):
        path = one(folder, f"*.{kind}")
        if path is None:
            continue
        code, info, out = assimp_info(path)
        check(code == 0, f"{path.name}: assimp loads it" + ("" if code == 0 else f": {out[-400:]}"))
        check(info.get("Bones") == bones, f"{path.name}: {info.get('Bones')} bones, the BVH's {bones}")
        check(info.get("Animations") == 1, f"{path.name}: {info.get('Animations')} animation(s), 1 expected")
        check(info.get("Meshes", 0) >= 1, f"{path.name}: {info.get('Meshes')} mesh(es)")
        keys = assimp_frames(path)
        check(keys is not None and abs(keys - frames) <= 2, f"{path.name}: {keys} frames, the BVH's {frames}")
    glb = one(folder, "*.glb")
    if glb is not None:
        errors = validated.get(str(glb))
        check(errors == 0, f"{glb.name}: {errors} glTF-Validator errors")
    video = one(folder, "*.mp4")
    if video is not None:
        code, out = run("ffmpeg", "-v", "error", "-i", str(video), "-f", "null", "-")
        check(code == 0 and out.strip() == "", f"{video.name}: ffmpeg decodes it silently {out.strip()[:300]}")
        code, out = run("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                        "-show_entries", "stream=nb_read_frames:format=duration",
                        "-of", "default=noprint_wrappers=1", str(video))
        values = dict(l.split("=", 1) for l in out.split() if "=" in l)
        count = int(values.get("nb_read_frames", "-1"))
        duration = float(values.get("duration", "-1"))
        check(abs(count - frames) <= 2, f"{video.name}: {count} video frames, the BVH's {frames}")
        check(abs(duration - count * frame_time) <= 0.1,
              f"{video.name}: {duration:.3f} s for {count} frames at {1 / frame_time:.2f} fps")
    for kind in ("png", "jpg") if folder.name == "picture" else ():
        for picture in [one(folder, f"*.{kind}")]:
            if picture is None:
                continue
            code, out = run("ffmpeg", "-v", "error", "-i", str(picture), "-f", "null", "-")
            check(code == 0 and out.strip() == "", f"{picture.name}: decodes {out.strip()[:200]}")

if failures:
    print(f"real-tools: {len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("real-tools: every output opens in assimp, ffmpeg and the glTF-Validator")
PY
